"""Cost in ms per photo on this CPU of each approach of compare_heads.py (decode + preprocess + model).

    python training/experiments/cost.py --split runs/exp-baseline/split.json --out runs/exp/cost.json

Each variant is exported to ONNX as it would serve (the backbones side by side on one input, a
linear head, the mirror view averaged inside the graph where it is scored) and timed through
onnxruntime with 2 threads, photo by photo, on the same validation photos, the variants
interleaved so that a busy machine slows them all alike. Reports the median per photo.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

LITE0 = "tf_efficientnet_lite0"
VARIANTS = {
    "lite0 288": ([LITE0], 288, False),
    "lite0 288 + mirror": ([LITE0], 288, True),
    "lite0 320": ([LITE0], 320, False),
    "lite0 + lite1 288": ([LITE0, "tf_efficientnet_lite1"], 288, False),
    "lite0 + lite1 288 + mirror": ([LITE0, "tf_efficientnet_lite1"], 288, True),
    "lite0 + lite2 288": ([LITE0, "tf_efficientnet_lite2"], 288, False),
}


class _Side(torch.nn.Module):
    def __init__(self, names, num_classes, mirror):
        super().__init__()
        from craftvision.training.models import create_model

        self.members = torch.nn.ModuleList([create_model(n, num_classes, True, None).eval() for n in names])
        dim = sum(m.num_features for m in self.members)
        self.head = torch.nn.Linear(dim, num_classes)
        self.mirror = mirror

    def forward(self, x):
        if self.mirror:
            x = torch.cat([x, torch.flip(x, dims=[3])])
        emb = torch.cat([m.forward_head(m.forward_features(x), pre_logits=True) for m in self.members], dim=1)
        logits = self.head(emb)
        if self.mirror:
            logits = 0.5 * (logits[: logits.shape[0] // 2] + logits[logits.shape[0] // 2:])
        return torch.softmax(logits, dim=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", required=True)
    ap.add_argument("--out", default="runs/exp/cost.json")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    import onnxruntime as ort

    from craftvision.images import load_image
    from craftvision.preprocess import preprocess_image
    from craftvision.training.config import load_config
    from craftvision.training.evaluate import load_split
    from craftvision.training.models import create_model
    from craftvision.training.models import resolve_spec

    torch.set_num_threads(2)
    _, val, names = load_split(args.split)
    photos = [s.path for s in val[:: max(1, len(val) // args.n)][: args.n]]
    work = Path(tempfile.mkdtemp(prefix="cv-cost-"))
    sessions = {}
    for tag, (members, size, mirror) in VARIANTS.items():
        if args.only and tag not in args.only:
            continue
        cfg = load_config(None, {"data.folder": "../shared/data/crafts", "model.backbone": LITE0, "model.image_size": size})
        spec = resolve_spec(create_model(LITE0, len(names), True, None), cfg)
        model = _Side(members, len(names), mirror).eval()
        path = work / f"{len(sessions)}.onnx"
        torch.onnx.export(model, (torch.zeros(1, 3, size, size),), str(path), input_names=["image"],
                          output_names=["probabilities"], dynamic_axes={"image": {0: "batch"}}, opset_version=17,
                          dynamo=False)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = 2, 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        sessions[tag] = (ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"]), spec)
    times = {tag: [] for tag in sessions}
    for p in photos:
        for tag, (sess, spec) in sessions.items():
            t0 = time.perf_counter()
            x = preprocess_image(load_image(p, min_side=spec.resize_size), spec)[None]
            sess.run(["probabilities"], {"image": x})
            times[tag].append(1000 * (time.perf_counter() - t0))
    out = {tag: {"ms_per_photo_p50": round(float(np.median(v[1:])), 1), "photos": len(v) - 1} for tag, v in times.items()}
    print(json.dumps(out, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
