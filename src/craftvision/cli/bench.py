"""`craftvision bench`: the side-by-side speed benchmark (needs the training profile)."""

from __future__ import annotations

from pathlib import Path

from .common import add_model


def register(sub) -> None:
    bn = sub.add_parser("bench", help="side-by-side speed benchmark against the peer pipeline (needs the train extras)")
    add_model(bn, help=None)
    bn.add_argument("--checkpoint", default="models/craftvision.pt", help="torch weights of the same model (for a and b)")
    bn.add_argument("--photos", nargs="*", default=["../shared/data/crafts"], help="real photos (first folder found)")
    bn.add_argument("--calibration", default="../shared/data/crafts", help="photos for INT8 calibration")
    bn.add_argument("--split", default="models/report/split.json", help="validation split for the accuracy column")
    bn.add_argument("--n-real", type=int, default=24)
    bn.add_argument("--n-large", type=int, default=8)
    bn.add_argument("--repeats", type=int, default=2)
    bn.add_argument("--out", default="runs/bench")
    bn.add_argument("--contender", action="append", metavar="TAG=MODEL.onnx",
                    help="another ONNX model timed in the same run (e.g. the model being replaced)")
    bn.set_defaults(func=cmd_bench)


def cmd_bench(args) -> int:
    from ..bench import calibration_photos, run_bench, select_photos
    from ..errors import ConfigError
    from ..predictor import default_model_path

    contenders = {}
    for item in args.contender or []:
        tag, sep, path = item.partition("=")
        if not sep or not tag or not Path(path).is_file():
            raise ConfigError(f"--contender expects TAG=MODEL.onnx with an existing file; got {item!r}.")
        contenders[tag] = path
    photos = select_photos(args.photos, args.n_real)
    run_bench(args.model or default_model_path(), args.out, photos, args.split, args.checkpoint,
              n_large=args.n_large, repeats=args.repeats, calibration=calibration_photos(args.calibration) or None,
              contenders=contenders)
    print((Path(args.out) / "bench.md").read_text())
    return 0
