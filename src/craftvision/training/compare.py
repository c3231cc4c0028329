"""Compare two exported models on the same split, and promote a new model only if it is not worse."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..data import file_sha256
from ..errors import ModelFileError
from ..metrics import classification_summary
from .evaluate import load_split, onnx_outputs

#: A new model is "worse" when its macro-F1 or top-1 drops by more than this on the reference split.
TOLERANCE = 0.005


def compare_models(old: str | Path, new: str | Path, split_json: str | Path, out_dir: str | Path | None = None) -> dict:
    """Per-class and overall differences of two models on the validation photos of one split."""
    _, val, names = load_split(split_json)
    index = {c: i for i, c in enumerate(names)}
    y = np.array([index[s.label] for s in val])
    res = {}
    for tag, path in (("old", old), ("new", new)):
        out = onnx_outputs(path, val)
        if out["predictor"].class_names != names:
            raise ModelFileError(f"The {tag} model's classes {out['predictor'].class_names} differ from the split's {names}.")
        res[tag] = classification_summary(out["probs"], y, names)
    d_top1 = res["new"]["top1"] - res["old"]["top1"]
    d_f1 = res["new"]["macro_f1"] - res["old"]["macro_f1"]
    if d_f1 < -TOLERANCE or d_top1 < -TOLERANCE:
        verdict = "worse"
    elif d_f1 > TOLERANCE or d_top1 > TOLERANCE:
        verdict = "better"
    else:
        verdict = "equivalent"
    per_class = {c: {"old_f1": res["old"]["per_class"][c]["f1"], "new_f1": res["new"]["per_class"][c]["f1"],
                     "delta_f1": res["new"]["per_class"][c]["f1"] - res["old"]["per_class"][c]["f1"],
                     "support": res["old"]["per_class"][c]["support"]} for c in names}
    lines = [f"# Model comparison on {len(val)} validation photos", "",
             "| | old | new | difference |", "|---|---|---|---|",
             f"| top-1 | {res['old']['top1']:.3f} | {res['new']['top1']:.3f} | {d_top1:+.3f} |",
             f"| macro-F1 | {res['old']['macro_f1']:.3f} | {res['new']['macro_f1']:.3f} | {d_f1:+.3f} |", "",
             "| class | old F1 | new F1 | difference | photos |", "|---|---|---|---|---|"]
    lines += [f"| {c} | {v['old_f1']:.2f} | {v['new_f1']:.2f} | {v['delta_f1']:+.2f} | {int(v['support'])} |" for c, v in per_class.items()]
    lines += ["", f"Verdict: the new model is **{verdict}** (tolerance {TOLERANCE})."]
    result = {"old": str(old), "new": str(new), "split": str(split_json), "verdict": verdict,
              "top1": {"old": res["old"]["top1"], "new": res["new"]["top1"], "delta": d_top1},
              "macro_f1": {"old": res["old"]["macro_f1"], "new": res["new"]["macro_f1"], "delta": d_f1},
              "per_class": per_class, "markdown": "\n".join(lines)}
    if out_dir:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "compare.json").write_text(json.dumps({k: v for k, v in result.items() if k != "markdown"}, indent=2))
        (out_dir / "compare.md").write_text(result["markdown"])
    return result


def promote(new: str | Path, split_json: str | Path, current: str | Path = "models/craftvision.onnx",
            force: bool = False, reason: str = "") -> dict:
    """Replace the current model by `new` unless `new` is worse on the reference split (or `force`).

    Records the promotion (date, verdict, figures, reason) in the model card and writes the checksum.
    """
    new, current = Path(new), Path(current)
    cmp = compare_models(current, new, split_json) if current.exists() else {"verdict": "better", "top1": {}, "macro_f1": {}}
    if cmp["verdict"] == "worse" and not force:
        return {"promoted": False, "comparison": cmp,
                "message": (f"refused: the new model is worse on the reference split (top-1 {cmp['top1']['delta']:+.3f}, "
                            f"macro-F1 {cmp['macro_f1']['delta']:+.3f}); use --force with a --reason to override.")}
    current.parent.mkdir(parents=True, exist_ok=True)
    tmp = current.with_suffix(".promoting")
    shutil.copyfile(new, tmp)
    tmp.replace(current)
    digest = file_sha256(current)
    Path(str(current) + ".sha256").write_text(f"{digest}  {current.name}\n")
    card = current.parent / "MODEL_CARD.md"
    entry = (f"- {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}: promoted `{new.name}` (sha256 {digest[:12]}), "
             f"verdict {cmp['verdict']}" + (" (forced)" if force and cmp["verdict"] == "worse" else "")
             + (f", top-1 {cmp['top1'].get('old', 0):.3f} -> {cmp['top1'].get('new', 0):.3f}, macro-F1 "
                f"{cmp['macro_f1'].get('old', 0):.3f} -> {cmp['macro_f1'].get('new', 0):.3f}" if cmp["top1"] else "")
             + (f". Reason: {reason}" if reason else "") + "\n")
    text = card.read_text(encoding="utf-8") if card.exists() else "# Model card\n"
    if "## Promotion history" not in text:
        text += "\n## Promotion history\n\n"
    card.write_text(text + entry, encoding="utf-8")
    from .export import write_checksums

    write_checksums(current.parent)
    return {"promoted": True, "comparison": cmp, "sha256": digest, "message": f"promoted {new} -> {current} ({cmp['verdict']})"}
