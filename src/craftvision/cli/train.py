"""`craftvision train | recipe | evaluate | promote`: the model's way from photos to the shipped file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import add_extra_class, add_model, add_split, parse_named_dirs


def register(sub) -> None:
    _register_train(sub)
    rc = sub.add_parser("recipe", help="reproduce a shipped model from a recipe YAML (train, calibrate, export, report)")
    rc.add_argument("recipe", help="e.g. training/craftvision.yaml")
    rc.add_argument("--no-progress", action="store_true")
    rc.set_defaults(func=cmd_recipe)

    ev = sub.add_parser("evaluate", help="evaluate a model on a run's validation split and write the report")
    add_model(ev)
    add_split(ev)
    ev.add_argument("--out", default="runs/evaluate", help="report folder")
    ev.add_argument("--no-baselines", action="store_true", help="skip the two baselines (they need torch)")
    ev.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two models on the same split")
    ev.set_defaults(func=cmd_evaluate)

    pm = sub.add_parser("promote", help="make NEW the shipped model if it is not worse on the reference split")
    pm.add_argument("new")
    add_split(pm, help=None)
    pm.add_argument("--current", default="models/craftvision.onnx")
    pm.add_argument("--force", action="store_true")
    pm.add_argument("--reason", default="")
    pm.set_defaults(func=cmd_promote)


def _register_train(sub) -> None:
    tr = sub.add_parser("train", help="fine-tune a backbone on an ImageFolder dataset")
    tr.add_argument("--config", help="YAML recipe (see training/)")
    tr.add_argument("--data", help="ImageFolder root: one sub-folder per class")
    tr.add_argument("--val-data", help="explicit validation folder (else a source-grouped split)")
    add_extra_class(tr)
    tr.add_argument("--out", help="run folder")
    tr.add_argument("--backbone")
    tr.add_argument("--epochs", type=int, help="epochs of the full training loop (finetune.epochs)")
    tr.add_argument("--batch-size", type=int)
    tr.add_argument("--lr", type=float)
    tr.add_argument("--image-size", type=int)
    tr.add_argument("--seed", type=int)
    tr.add_argument("--max-per-class", type=int)
    tr.add_argument("--init-from", help="checkpoint to warm-start from")
    tr.add_argument("--freeze-backbone", action="store_true", help="train only the head (features recomputed with augmentation)")
    tr.add_argument("--head-only", action="store_true", help="retrain the head on cached embeddings (seconds)")
    tr.add_argument("--no-pretrained", action="store_true", help="random init (tests)")
    tr.add_argument("--resume", action="store_true", help="continue from the run folder's last.pt")
    tr.add_argument("--no-progress", action="store_true")
    tr.set_defaults(func=cmd_train)


#: `craftvision train` flag -> configuration key (config.py).
TRAIN_FLAGS = {"data": "data.folder", "val_data": "data.val_folder", "out": "out_dir", "backbone": "model.backbone",
               "epochs": "finetune.epochs", "batch_size": "finetune.batch_size", "lr": "finetune.lr",
               "image_size": "model.image_size", "seed": "seed", "max_per_class": "data.max_per_class",
               "init_from": "model.init_from"}


def cmd_train(args) -> int:
    from ..training.config import load_config
    from ..training.train import train

    overrides = {key: getattr(args, flag) for flag, key in TRAIN_FLAGS.items()}
    overrides["data.extra_classes"] = parse_named_dirs(args.extra_class) or None
    overrides["finetune.freeze_backbone"] = True if args.freeze_backbone else None
    overrides["model.pretrained"] = False if args.no_pretrained else None
    overrides["mode"] = "head" if args.head_only else None
    cfg = load_config(args.config, overrides)
    result = train(cfg, resume=args.resume, show_progress=not args.no_progress)
    if cfg.mode == "finetune":
        print(f"best checkpoint: {result['checkpoint']}")
    else:
        print(json.dumps(result, indent=2))
    return 0


def cmd_recipe(args) -> int:
    from ..training.recipe import run_recipe

    report = run_recipe(args.recipe, show_progress=not args.no_progress)
    m = report["metrics"]
    print(f"shipped: top-1 {m['top1']:.3f}  macro-F1 {m['macro_f1']:.3f} on {report['val_photos']} validation photos")
    return 0


def cmd_evaluate(args) -> int:
    from ..predictor import default_model_path

    if args.compare:
        from ..training.compare import compare_models

        result = compare_models(args.compare[0], args.compare[1], args.split, args.out)
        print(result["markdown"])
        return 0
    from ..training.evaluate import evaluate_model

    report = evaluate_model(args.model or default_model_path(), args.split, args.out, baselines=not args.no_baselines)
    if report.get("validation_in_training"):
        print("warning: this model was trained on these validation photos too (refit on all photos): the figures are "
              "not held-out; evaluate models/validation/craftvision-holdout.onnx for held-out figures", file=sys.stderr)
    m, co, d = report["metrics"], report["craft_only"], report["decisions"]
    print(f"validation ({report['val_photos']} photos): top-1 {m['top1']:.3f}  top-3 {m['top3']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
          f"ECE {report['calibration']['ece_before']:.3f} -> {report['calibration']['ece_after']:.3f}")
    print(f"craft photos only ({co['n']}): top-1 {co['top1']:.3f}  macro-F1 {co['macro_f1']:.3f}")
    for k in ("craft", "not_a_craft"):
        print(f"decisions on {k} photos (n={d[k]['n']}): accept {d[k]['accept']:.1%}  review {d[k]['review']:.1%}  "
              f"not_a_craft {d[k]['not_a_craft']:.1%}")
    for name, b in report.get("baselines", {}).items():
        print(f"baseline {name}: top-1 {b['top1']:.3f}  macro-F1 {b['macro_f1']:.3f}")
    print(f"report: {Path(args.out) / 'report.md'}")
    return 0


def cmd_promote(args) -> int:
    from ..training.compare import promote

    result = promote(args.new, args.split, current=args.current, force=args.force, reason=args.reason)
    print(result["message"])
    return 0 if result["promoted"] else 1
