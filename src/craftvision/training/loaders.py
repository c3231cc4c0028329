"""Data loading for the full training loop: photos decoded once, class-balanced sampling, DDP shards."""

from __future__ import annotations

import os
from collections import Counter

import torch
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from ..data import Sample, Split
from ..images import load_image
from .config import RunConfig


class ImageDataset(Dataset):
    """Labelled photos decoded once (at reduced size) and kept in memory, transformed on access."""

    def __init__(self, samples: list[Sample], class_names: list[str], transform, min_side: int):
        self.samples = samples
        self.index = {c: i for i, c in enumerate(class_names)}
        self.transform = transform
        self.min_side = min_side
        self._cache: dict[int, object] = {}

    def __len__(self):
        return len(self.samples)

    def image(self, i: int):
        if i not in self._cache:
            self._cache[i] = load_image(self.samples[i].path, min_side=self.min_side)
        return self._cache[i]

    def __getitem__(self, i):
        return self.transform(self.image(i)), self.index[self.samples[i].label]


class DistributedWeightedSampler(torch.utils.data.Sampler):
    """Class-balanced sampling with replacement, sharded across DDP ranks.

    Every rank draws the same seeded index sequence for an epoch and keeps every world_size-th
    index, so the ranks see disjoint shards of one balanced epoch.
    """

    def __init__(self, weights, num_samples: int, rank: int, world_size: int, seed: int):
        self.weights = torch.as_tensor(weights, dtype=torch.double)
        self.num_samples = num_samples - num_samples % world_size
        self.rank, self.world_size, self.seed, self.epoch = rank, world_size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        idx = torch.multinomial(self.weights, self.num_samples, replacement=True, generator=g).tolist()
        return iter(idx[self.rank::self.world_size])

    def __len__(self):
        return self.num_samples // self.world_size


def init_distributed() -> tuple[int, int]:
    """(rank, world size), initialising the process group when started by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def build_train_loader(train_ds: ImageDataset, split: Split, cfg: RunConfig, rank: int, world: int):
    """The training loader the config's balance asks for; returns (loader, sampler to set_epoch or None)."""
    counts = Counter(s.label for s in split.train)
    weights = [1.0 / counts[s.label] for s in split.train]
    bs, seed = cfg.finetune.batch_size, cfg.seed
    g = torch.Generator().manual_seed(seed)
    if world > 1:
        from torch.utils.data.distributed import DistributedSampler

        if cfg.finetune.balance == "sampler":
            sampler = DistributedWeightedSampler(weights, len(split.train), rank, world, seed)
        else:
            sampler = DistributedSampler(train_ds, num_replicas=world, rank=rank, shuffle=True, seed=seed)
        return DataLoader(train_ds, batch_size=bs, sampler=sampler, num_workers=0), sampler
    if cfg.finetune.balance == "sampler":
        sampler = WeightedRandomSampler(weights, num_samples=len(weights), replacement=True, generator=g)
        return DataLoader(train_ds, batch_size=bs, sampler=sampler, num_workers=0), None
    return DataLoader(train_ds, batch_size=bs, shuffle=True, generator=g, num_workers=0), None
