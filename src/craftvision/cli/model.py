"""`craftvision export | calibrate | card`: write a model file, refit its calibration, write its card."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import CraftvisionError, ModelFileError
from .common import add_split


def register(sub) -> None:
    ex = sub.add_parser("export", help="export a checkpoint to ONNX (with parity check)")
    ex.add_argument("checkpoint")
    ex.add_argument("--out", required=True)
    cal = ex.add_mutually_exclusive_group()
    cal.add_argument("--calibration-from", metavar="MODEL", help="carry the temperature and thresholds of this calibrated model")
    cal.add_argument("--uncalibrated", action="store_true", help="T = 1 and default thresholds, recorded as not fitted")
    ex.add_argument("--parity-images", nargs="*", help="photos for the parity check (default: the run's validation photos)")
    ex.set_defaults(func=cmd_export)

    ca = sub.add_parser("calibrate", help="refit temperature and thresholds of a model file without retraining")
    ca.add_argument("model", help="the ONNX file to rewrite (its checksums are rewritten too)")
    add_split(ca, help="split.json whose validation photos calibrate it")
    ca.add_argument("--fit-on", metavar="MODEL", help="a refit model's validation-run model (default: from its metadata)")
    ca.add_argument("--upgrade", action="store_true", help="the file has version-1 metadata: upgrade it (no retraining)")
    ca.set_defaults(func=cmd_calibrate)

    cd = sub.add_parser("card", help="write the model card from a model file's metadata and its held-out report")
    cd.add_argument("--model", default="models/craftvision.onnx")
    cd.add_argument("--report", default="models/report/report.json", help="report.json of the validation-run model")
    cd.add_argument("--out", default="models/MODEL_CARD.md")
    cd.set_defaults(func=cmd_card)


def cmd_export(args) -> int:
    from ..training.export import export_onnx

    if not args.uncalibrated and not args.calibration_from:
        raise CraftvisionError(
            "export needs --calibration-from MODEL.onnx (carry the temperature and thresholds of a calibrated model of the "
            "same classes) or --uncalibrated (T = 1 and default thresholds, recorded as not fitted); then "
            "`craftvision calibrate OUT --split SPLIT.json` fits them on validation photos.")
    calibration = None
    if args.calibration_from:
        from ..predictor import load_predictor
        from ..training.checkpoint import load_checkpoint

        source = load_predictor(args.calibration_from)
        if load_checkpoint(args.checkpoint)["class_names"] != source.class_names:
            raise ModelFileError(f"--calibration-from {args.calibration_from} predicts {source.class_names}, not the "
                                 "checkpoint's classes: calibrate the export instead (`craftvision calibrate`).")
        calibration = source.metadata.calibration
        print(f"calibration from {args.calibration_from}: T = {calibration.temperature:.3f}, "
              f"fitted on {calibration.temperature_fitted_on}")
    result = export_onnx(args.checkpoint, args.out, calibration=calibration,
                         parity_images=[Path(p) for p in args.parity_images] if args.parity_images else None)
    print(f"exported {result['path']}")
    print(f"parity: max |p_torch - p_onnxruntime| = {result['parity_max_abs_diff']:.2e} on {result['parity_inputs']} real inputs (limit 1e-4)")
    print(f"sha256: {result['sha256']}")
    return 0


def cmd_calibrate(args) -> int:
    from ..training.calibrate import calibrate_model

    r = calibrate_model(args.model, args.split, fit_on=args.fit_on, upgrade=args.upgrade)
    d, p, h = r["decision"], r["product_decision"], r["held_out"]
    print(f"calibrated {r['model']} on the outputs of {r['fitted_on']}: T = {r['temperature']:.4f}")
    print(f"single photo: not_a_craft >= {d.not_a_craft_min_probability:.2f}, accept >= {d.accept_min_probability:.2f} "
          f"({d.fitted_on})")
    print(f"product of several photos: not_a_craft >= {p.not_a_craft_min_probability:.2f}, accept >= "
          f"{p.accept_min_probability:.2f} ({p.fitted_on})")
    print(f"validation products of 2+ photos: {r['products']} ({r['product_photos']} photos)")
    print(f"held-out ({h.model}, {h.photos} photos): top-1 {h.top1:.3f}  top-3 {h.top3:.3f}  macro-F1 {h.macro_f1:.3f}  "
          f"ECE {r['ece_before']:.3f} -> {h.ece:.3f}")
    print(f"sha256: {r['sha256']}" + (f"; rewrote {r['checksums']}" if r["checksums"] else ""))
    return 0


def cmd_card(args) -> int:
    from ..predictor import load_predictor
    from ..training.card import write_model_card

    shipped = load_predictor(args.model)
    meta = shipped.metadata
    run_meta = None
    if meta.training.refit_on_all_photos:
        run_meta = load_predictor(Path(args.model).parent / "validation" / str(meta.holdout_model)).metadata
    report = json.loads(Path(args.report).read_text())
    out = write_model_card(args.out, report, meta, run_meta, shipped.version)
    print(f"wrote {out}")
    if (out.parent / "SHA256SUMS").exists():
        from ..training.export import write_checksums

        print(f"rewrote {write_checksums(out.parent)}")
    return 0
