"""Fill the embedding cache (.cache/embeddings) for one backbone / resolution on a run's split.

    python training/experiments/embed.py --split runs/exp-baseline/split.json \
        --backbone tf_efficientnet_lite1 --size 288 --spec-backbone tf_efficientnet_lite0

The preprocessing is that of `--spec-backbone` at `--size` (lite0's by default), so that several
backbones can share one preprocessed input (one serving spec). The cache is saved every `--chunk`
photos, so an interrupted run keeps what it computed. The keys are those `embed_samples` uses, so
recipes and experiments read the same cache.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import torch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", required=True)
    ap.add_argument("--backbone", default="tf_efficientnet_lite0")
    ap.add_argument("--spec-backbone", default="tf_efficientnet_lite0")
    ap.add_argument("--size", type=int, default=288)
    ap.add_argument("--views", type=int, default=2)
    ap.add_argument("--only", choices=("all", "val"), default="all")
    ap.add_argument("--chunk", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache", default=".cache/embeddings")
    args = ap.parse_args()
    from craftvision.training.evaluate import load_split
    from craftvision.training.features import embed_samples
    from craftvision.training.models import create_model
    from craftvision.training.config import load_config
    from craftvision.training.models import resolve_spec

    torch.set_num_threads(args.threads)
    train, val, names = load_split(args.split)
    samples = val if args.only == "val" else train + val
    cfg = load_config(None, {"data.folder": "../shared/data/crafts", "model.backbone": args.spec_backbone, "model.image_size": args.size})
    spec = resolve_spec(create_model(args.spec_backbone, len(names), True, None), cfg)
    model = create_model(args.backbone, len(names), True, None).eval()
    r0, t0, computed = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter(), 0
    for start in range(0, len(samples), args.chunk):
        _, _, n = embed_samples(model, samples[start:start + args.chunk], spec, args.cache, args.backbone,
                                views=args.views, progress=False)
        computed += n
        print(f"{start + args.chunk}/{len(samples)} photos, {computed} computed, {time.perf_counter() - t0:.0f} s", flush=True)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"backbone": args.backbone, "size": args.size, "views": args.views, "photos": len(samples),
                      "computed": computed, "wall_s": round(time.perf_counter() - t0, 1),
                      "user_s": round(r1.ru_utime - r0.ru_utime, 1), "sys_s": round(r1.ru_stime - r0.ru_stime, 1),
                      "spec": spec.to_dict()}))


if __name__ == "__main__":
    main()
