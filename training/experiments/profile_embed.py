"""Profile the embedding step of the head recipe on a short sample (no cache).

    python training/experiments/profile_embed.py --n 96 [--threads 2] [--batch 32]

Prints wall time, process user/system CPU seconds and minor page faults, so the same sample can be
run under `/usr/bin/time -v`, `strace -c -f` or `perf` with different settings.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import torch


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=96)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--views", type=int, default=2)
    ap.add_argument("--size", type=int, default=288)
    ap.add_argument("--backbone", default="tf_efficientnet_lite0")
    ap.add_argument("--no-retain", action="store_true", help="glibc's default malloc behaviour (before the fix)")
    args = ap.parse_args()
    if args.no_retain:
        import craftvision.training.features as features

        features.retain_freed_memory = lambda: False
    from craftvision.data import scan_image_folder
    from craftvision.training.config import load_config
    from craftvision.training.features import embed_samples
    from craftvision.training.models import create_model
    from craftvision.training.models import resolve_spec

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(None, {"data.folder": "../shared/data/crafts", "model.backbone": args.backbone, "model.image_size": args.size})
    samples, names = scan_image_folder("../shared/data/crafts", {"not_a_craft": "../shared/data/noncraft"})
    samples = samples[:: max(1, len(samples) // args.n)][: args.n]
    model = create_model(args.backbone, len(names), True, None).eval()
    spec = resolve_spec(model, cfg)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    emb, _, n = embed_samples(model, samples, spec, None, args.backbone, views=args.views, batch_size=args.batch,
                              progress=False)
    r1, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t0
    print(json.dumps({"photos": n, "wall_s": round(wall, 2), "user_s": round(r1.ru_utime - r0.ru_utime, 2),
                      "sys_s": round(r1.ru_stime - r0.ru_stime, 2), "minor_faults": r1.ru_minflt - r0.ru_minflt,
                      "ms_per_photo": round(1000 * wall / n, 1), "threads": torch.get_num_threads(),
                      "batch": args.batch, "shape": list(emb.shape)}))


if __name__ == "__main__":
    main()
