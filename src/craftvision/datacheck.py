"""`craftvision data check`: what is wrong with a labelled image folder before training on it.

Unreadable files, exact and near duplicates (within a class, across classes = conflicting labels,
across train/validation = leakage), tiny images, class counts and imbalance, EXIF-rotated photos.
Writes a Markdown report with a contact sheet (PNG) per duplicate group or conflict.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from .data import Sample, difference_hash, file_sha256, scan_image_folder
from .errors import ImageError
from .images import IMAGE_SUFFIXES, load_image

TINY_SIDE = 128


def _popcount64(x: np.ndarray) -> np.ndarray:
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def _groups(items: list[tuple[Sample, int]], bits: int) -> list[list[int]]:
    """Connected groups of near-identical images (dHash within `bits`), by union-find."""
    n = len(items)
    hashes = np.array([h for _, h in items], dtype=np.uint64)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        d = _popcount64(hashes[i + 1:] ^ hashes[i])
        for j in np.nonzero(d <= bits)[0]:
            a, b = find(i), find(i + 1 + int(j))
            if a != b:
                parent[b] = a
    groups = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return [g for g in groups.values() if len(g) > 1]


def _contact_sheet(paths: list[Path], labels: list[str], out: Path, thumb: int = 128) -> None:
    cols = min(6, len(paths))
    rows = (len(paths) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * thumb, rows * (thumb + 14)), "white")
    from PIL import ImageDraw

    draw = ImageDraw.Draw(sheet)
    for k, (p, lab) in enumerate(zip(paths, labels)):
        try:
            im = load_image(p, min_side=thumb)
            im.thumbnail((thumb, thumb))
        except ImageError:
            im = Image.new("RGB", (thumb, thumb), "grey")
        x, y = (k % cols) * thumb, (k // cols) * (thumb + 14)
        sheet.paste(im, (x, y))
        draw.text((x + 2, y + thumb), f"{lab}: {p.name[:18]}", fill="black")
    sheet.save(out)


def check_dataset(root: str | Path, out_dir: str | Path, val: str | Path | None = None, near_bits: int = 2,
                  extra_classes: dict | None = None, max_sheets: int = 40) -> dict:
    """Check a dataset (and optionally its validation folder); write report.md/json and contact sheets."""
    out_dir = Path(out_dir)
    (out_dir / "sheets").mkdir(parents=True, exist_ok=True)
    samples, classes = scan_image_folder(root, extra_classes)
    split_of = {s.path: "train" for s in samples}
    if val:
        vs, _ = scan_image_folder(val)
        samples += vs
        split_of.update({s.path: "val" for s in vs})
    unreadable, tiny, rotated, readable = [], [], [], []
    sha: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        try:
            with Image.open(s.path) as raw:
                if raw.getexif().get(0x0112, 1) not in (0, 1):
                    rotated.append(str(s.path))
            im = load_image(s.path, min_side=64)
        except (ImageError, OSError, ValueError) as exc:
            unreadable.append({"file": str(s.path), "problem": str(exc)})
            continue
        with Image.open(s.path) as raw:
            w, h = raw.size
        if min(w, h) < TINY_SIDE:
            tiny.append({"file": str(s.path), "size": [w, h]})
        readable.append((s, difference_hash(im)))
        sha[file_sha256(s.path)].append(s)
    exact = [[str(x.path) for x in g] for g in sha.values() if len(g) > 1]
    near, conflicts, leakage = [], [], []
    for gi, g in enumerate(_groups(readable, near_bits)):
        members = [readable[i][0] for i in g]
        labels = sorted({m.label for m in members})
        splits = sorted({split_of[m.path] for m in members})
        entry = {"files": [str(m.path) for m in members], "labels": labels, "splits": splits}
        if len(labels) > 1:
            conflicts.append(entry)
        if len(splits) > 1:
            leakage.append(entry)
        near.append(entry)
    sheets = []
    for k, entry in enumerate((conflicts + leakage + near)[:max_sheets]):
        out = out_dir / "sheets" / f"group_{k:03d}.png"
        files = [Path(f) for f in entry["files"]][:12]
        labels = [Path(f).parent.name for f in entry["files"]][:12]
        _contact_sheet(files, labels, out)
        entry["sheet"] = f"sheets/{out.name}"
        sheets.append(out.name)
    counts = Counter(s.label for s, _ in readable)
    report = {
        "root": str(root), "photos": len(samples), "readable": len(readable), "classes": dict(sorted(counts.items())),
        "imbalance_ratio": (max(counts.values()) / max(1, min(counts.values()))) if counts else 0,
        "unreadable": unreadable, "tiny": tiny, "exif_rotated": rotated, "exact_duplicate_groups": exact,
        "near_duplicate_groups": near, "conflicting_labels": conflicts, "train_val_leakage": leakage,
        "near_bits": near_bits,
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    (out_dir / "report.md").write_text(_markdown(report))
    return report


def _markdown(r: dict) -> str:
    lines = [f"# Data check: {r['root']}", "",
             f"{r['photos']} photos, {r['readable']} readable, {len(r['classes'])} classes "
             f"(largest/smallest = {r['imbalance_ratio']:.1f}).", "", "| class | photos |", "|---|---|"]
    lines += [f"| {c} | {n} |" for c, n in r["classes"].items()]
    lines += ["", f"- unreadable or corrupt: {len(r['unreadable'])}",
              f"- tiny (shorter side < {TINY_SIDE} px): {len(r['tiny'])}",
              f"- EXIF-rotated (orientation tag set): {len(r['exif_rotated'])}",
              f"- exact duplicate groups (same bytes): {len(r['exact_duplicate_groups'])}",
              f"- near-duplicate groups (dHash within {r['near_bits']} bits): {len(r['near_duplicate_groups'])}",
              f"- groups with conflicting labels: {len(r['conflicting_labels'])}",
              f"- groups across train and validation (leakage): {len(r['train_val_leakage'])}", ""]
    for title, key in (("Conflicting labels", "conflicting_labels"), ("Leakage", "train_val_leakage"),
                       ("Near duplicates", "near_duplicate_groups")):
        if r[key]:
            lines += [f"## {title}", ""]
            for e in r[key][:40]:
                sheet = f" ![]({e['sheet']})" if e.get("sheet") else ""
                lines.append(f"- {', '.join(e['labels'])}: {len(e['files'])} files ({', '.join(Path(f).name for f in e['files'][:4])}){sheet}")
            lines.append("")
    if r["unreadable"]:
        lines += ["## Unreadable", ""] + [f"- {u['file']}: {u['problem']}" for u in r["unreadable"]] + [""]
    return "\n".join(lines)


def import_review(export_dir: str | Path, dataset_dir: str | Path) -> dict:
    """Merge a review export (``<class>/<sha>.jpg`` + manifest.csv) into a training ImageFolder.

    Photos whose content is already in the dataset (same SHA-256, any class) are skipped. The
    dataset's ``manifest.csv`` gains one row per added photo: file, class, source, reviewer,
    decision time, content hash.
    """
    import csv
    import shutil

    from .review.store import neutralize_cell, safe_component

    export_dir, dataset_dir = Path(export_dir), Path(dataset_dir)
    manifest_in = export_dir / "manifest.csv"
    if not manifest_in.is_file():
        from .errors import DatasetError

        raise DatasetError(f"'{export_dir}' is not a review export: it has no manifest.csv.")
    dataset_dir.mkdir(parents=True, exist_ok=True)
    present = set()
    for f in dataset_dir.rglob("*"):
        if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES:
            present.add(file_sha256(f))
    manifest_out = dataset_dir / "manifest.csv"
    new_file = not manifest_out.exists()
    added, skipped = Counter(), 0
    with open(manifest_in, newline="", encoding="utf-8") as fh, open(manifest_out, "a", newline="", encoding="utf-8") as out:
        w = csv.DictWriter(out, fieldnames=["file", "class", "source", "reviewer", "decided_at", "sha256"])
        if new_file:
            w.writeheader()
        for row in csv.DictReader(fh):
            src = export_dir / row["file"]
            if not src.is_file() or src.resolve().parent.parent != export_dir.resolve():
                continue  # only files inside the export, one folder deep
            digest = file_sha256(src)
            if digest in present:
                skipped += 1
                continue
            label = safe_component(row["class"])
            (dataset_dir / label).mkdir(exist_ok=True)
            target = dataset_dir / label / f"review_{digest[:16]}{src.suffix.lower()}"
            shutil.copyfile(src, target)
            present.add(digest)
            added[label] += 1
            w.writerow({k: neutralize_cell(v) for k, v in {
                "file": f"{label}/{target.name}", "class": label, "source": row.get("source", "review"),
                "reviewer": row.get("reviewer", ""), "decided_at": row.get("decided_at", ""), "sha256": digest}.items()})
    return {"added": dict(added), "added_total": sum(added.values()), "skipped_duplicates": skipped}
