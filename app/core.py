"""`CraftApp`: the app's behaviour, independent of the widgets (testable, and the API's body).

One model pass per photo per submission: `analyse` runs the model once over all photos of the
product; `submit` stores that analysis (kept in the server-side session state), never rerunning it.
"""

from __future__ import annotations

import base64
import io
import tempfile
import zipfile
from pathlib import Path

from PIL import Image

from craftvision.errors import CraftvisionError
from craftvision.predictor import NOT_A_CRAFT, Predictor
from craftvision.quality import hints, measure, product_share
from craftvision.review import ReviewStore
from craftvision.taxonomy import Taxonomy

from .errors import AppMessage
from .i18n import lang_of, t

MAX_PHOTOS = 8
MAX_PHOTO_MB = 20
THUMB_SIDE = 160


class CraftApp:
    """The app's behaviour: analyse a product, suggest its code, submit, review, export."""

    def __init__(self, predictor: Predictor, store: ReviewStore, taxonomy: Taxonomy,
                 max_photos: int = MAX_PHOTOS, max_photo_mb: int = MAX_PHOTO_MB, model_dir: Path | None = None):
        self.predictor, self.store, self.taxonomy = predictor, store, taxonomy
        self.max_photos, self.max_photo_mb = max_photos, max_photo_mb
        self.model_dir = model_dir or predictor.path.parent
        self.crafts = [c for c in taxonomy.categories if c != NOT_A_CRAFT]

    def category_name(self, category: str, lang: str) -> str:
        cat = self.taxonomy.categories.get(category)
        return cat.name[lang_of(lang)] if cat is not None else category

    def choices(self, lang: str, with_not_a_craft: bool = False) -> list[tuple[str, str]]:
        """(name in `lang`, id) of the craft categories, for drop-downs."""
        ids = self.crafts + ([NOT_A_CRAFT] if with_not_a_craft else [])
        return [(self.category_name(c, lang), c) for c in ids]

    # ---------------------------------------------------------------------------------- artisan
    def read_uploads(self, files, lang: str) -> list[tuple[str, Path]]:
        """(name, path) of each uploaded file, within the photo-count and size limits."""
        paths = [Path(f if isinstance(f, (str, Path)) else (f.get("path") if isinstance(f, dict) else f.name))
                 for f in (files or []) if f]
        if not paths:
            raise AppMessage(t("no_photo", lang))
        if len(paths) > self.max_photos:
            raise AppMessage(t("too_many", lang, n=self.max_photos))
        for p in paths:
            if p.stat().st_size > self.max_photo_mb * 1024 * 1024:
                raise AppMessage(t("too_big", lang, name=p.name, mb=self.max_photo_mb))
        return [(p.name, p) for p in paths]

    def analyse(self, files, lang: str = "fr", progress=None) -> dict:
        """One product from all its photos (the ``/predict_product`` endpoint and the Analyse button).

        Returns:
            The fused prediction (``categories``, ``decision``, ``hs``, ``model_version``,
            ``disagrees``) with ``photos``: per photo its own prediction, name, size in bytes,
            quality hints (keys and values), a thumbnail (data URI) or an ``error``; ``category``
            is the fused top category (None when not a craft); ``uploads`` lists (name, path).
        """
        lang = lang_of(lang)
        uploads = self.read_uploads(files, lang)
        good, items = [], []
        for i, (name, path) in enumerate(uploads):
            if progress is not None:
                progress((i, len(uploads)), desc=t("analysing", lang, i=i + 1, n=len(uploads)))
            item, image = self._photo_item(name, path, lang)
            items.append(item)
            if image is not None:
                good.append((i, image))
        if not good:
            raise AppMessage(t("no_readable_photo", lang) + " " + " ".join(str(p["error"]) for p in items))
        product = self.predictor.predict_product([im for _, im in good], names=[items[i]["source"] for i, _ in good],
                                                 with_maps=True)
        out = product.to_dict()
        for (index, _), own, heat in zip(good, out["photos"], product.heats):
            items[index].update(own)
            m = dict(items[index]["quality"], product_share=product_share(heat))  # where the model found the product
            items[index].update(quality=m, hint_keys=[[k, v] for k, v in hints(m)])
        out["photos"], out["disagrees"] = items, [bool(p.get("disagrees")) for p in items]
        out["category"] = product.top.name if product.decision != NOT_A_CRAFT else None
        out["uploads"] = [(name, str(path)) for i, (name, path) in enumerate(uploads) if items[i]["error"] is None]
        return out

    def _photo_item(self, name: str, path: Path, lang: str) -> tuple[dict, Image.Image | None]:
        """One photo's size, quality hints and thumbnail, and its decoded image (None if unreadable)."""
        data = path.read_bytes()
        item = {"source": name, "bytes": len(data), "error": None}
        try:
            image = self.predictor.load(data, name=name)
            # The model's own checks (e.g. a 20000 x 20 strip) run here, so one bad photo becomes
            # a message on its card instead of failing the whole product in predict_product.
            self.predictor.preprocess(image, name)
        except CraftvisionError as exc:
            return {**item, "error": f"{t('bad_photo', lang)} {exc}"}, None
        m = measure(image, original_size=_encoded_size(data))
        item.update(quality=m, hint_keys=[[k, v] for k, v in hints(m)], thumb=_thumbnail(image))
        return item, image

    def suggest(self, category: str | None, answers: dict | None, lang: str = "fr") -> dict:
        """The HS suggestion for a category and answers (the ``/suggest`` endpoint)."""
        if not category:
            raise AppMessage(t("analyse_first", lang_of(lang)))
        return self.taxonomy.suggest(category, answers or {}).to_dict(lang_of(lang))

    def submit(self, analysis: dict, category: str, answers: dict | None, description: str, contact: str, lang: str) -> str:
        """Store the analysed product (photos, fused and per-photo predictions); returns its reference."""
        lang = lang_of(lang)
        if not analysis or not analysis.get("uploads"):
            raise AppMessage(t("analyse_first", lang))
        if category not in self.crafts:
            raise AppMessage(t("not_a_craft_cannot_send", lang))
        s = self.taxonomy.suggest(category, answers or {})
        uploads = [(name, Path(path).read_bytes()) for name, path in analysis["uploads"]]
        return self.store.create_submission(uploads, stored_prediction(analysis), dict(answers or {}),
                                            s.code.display if s.code else None, description or "", contact or "",
                                            lang, category=category)

    def check(self, reference: str, lang: str = "fr") -> dict:
        """What an artisan sees of their own request (the ``/status`` endpoint)."""
        st = self.store.status((reference or "").strip())
        return {"reference": st.reference, "state": st.state, "state_text": t(f"state_{st.state}", lang_of(lang)),
                "submitted_at": st.created_at, "category": st.category, "suggested_code": st.suggested_code,
                "final_category": st.final_category, "final_code": st.final_code, "decided_at": st.decided_at}

    # ---------------------------------------------------------------------------------- review
    def login(self, username: str, password: str) -> str:
        return self.store.login((username or "").strip(), password or "")

    def queue(self, token: str, category: str | None = None, decision: str | None = None, order: str = "oldest") -> list[dict]:
        self.store.session_user(token)
        return self.store.queue(category or None, decision or None, order or "oldest")

    def open_submission(self, token: str, submission_id: int) -> dict:
        self.store.session_user(token)
        return self.store.submission(int(submission_id))

    def decide(self, token: str, submission_id: int, action: str, category: str | None, code: str | None, reason: str) -> dict:
        reviewer = self.store.session_user(token)
        self.store.add_decision(int(submission_id), action, reviewer, self.predictor.version,
                                final_category=category or None, final_code=(code or "").strip() or None, reason=reason or "")
        return self.store.submission(int(submission_id))

    def export(self, token: str, kind: str = "csv") -> str:
        """Decisions as CSV (``kind="csv"``) or the reviewed photos as a labelled dataset ZIP."""
        self.store.session_user(token)
        root = Path(tempfile.mkdtemp(prefix="cv-export-"))
        if kind == "csv":
            out = root / "decisions.csv"
            out.write_text(self.store.export_decisions_csv(), encoding="utf-8")
            return str(out)
        if kind != "dataset":
            raise AppMessage(f"export kind must be 'csv' or 'dataset'; got {kind!r}.")
        self.store.export_dataset(root / "dataset")
        zpath = root / "reviewed-dataset.zip"
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted((root / "dataset").rglob("*")):
                if f.is_file():
                    z.write(f, f.relative_to(root))
        return str(zpath)


def public(analysis_or_submission: dict) -> dict:
    """A result without server file paths or thumbnails (what the API returns)."""
    out = {k: v for k, v in analysis_or_submission.items() if k != "uploads"}
    out["photos"] = [{k: v for k, v in p.items() if k not in ("path", "relpath", "thumb")} for p in out.get("photos", [])]
    return out


def stored_prediction(analysis: dict) -> dict:
    """What the store keeps: the fused prediction and each readable photo's own prediction."""
    out = public(analysis)
    out["photos"] = [p for p in out["photos"] if p.get("error") is None]
    out["disagrees"] = [bool(p.get("disagrees")) for p in out["photos"]]
    out.pop("category", None)
    return out


def _thumbnail(image: Image.Image) -> str:
    small = image.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE))
    buf = io.BytesIO()
    small.convert("RGB").save(buf, "JPEG", quality=75)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _encoded_size(data: bytes) -> tuple[int, int] | None:
    """The stored size of a photo (before reduced-size decoding), read from its header only."""
    try:
        return Image.open(io.BytesIO(data)).size
    except Exception:
        return None
