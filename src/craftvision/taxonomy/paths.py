"""Every complete answer path of the taxonomy, for review of the whole tree and a decision-tree view.

`list_paths()` walks every category; each `AnswerPath` says which (question, option) pairs lead where:
a 6-digit HS 2022 subheading or an "ask an expert" note. The renderers (`paths_table`, `paths_csv`,
`paths_json`) are pure functions so the CLI and the app share them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from .nomenclature import HSCode, hs2022
from .taxonomy import Taxonomy, load_taxonomy


@dataclass(frozen=True)
class AnswerPath:
    """One complete path: the answers in the order asked and where they end (a code or a note)."""

    category: str
    answers: tuple[tuple[str, str], ...]
    code: HSCode | None
    note: dict | None

    def to_dict(self, lang: str = "en") -> dict:
        """JSON form: ``category``, ``answers`` ([question, option] pairs), ``code`` ("9401.69" or None),
        ``description`` (UN Comtrade label of the code, or None) and ``note`` (in `lang`, or None)."""
        return {"category": self.category, "answers": [list(a) for a in self.answers],
                "code": self.code.display if self.code else None,
                "description": self.code.description if self.code else None,
                "note": self.note[lang] if self.note else None}

    def labels(self, taxonomy: Taxonomy, lang: str = "en") -> list[tuple[str, str]]:
        """The (question text, option label) pairs of the path in `lang`."""
        cat = taxonomy.categories[self.category]
        return [(cat.questions[q].text[lang], cat.questions[q].options[o].label[lang]) for q, o in self.answers]


def list_paths(category: str | None = None, taxonomy: Taxonomy | None = None) -> list[AnswerPath]:
    """Every complete answer path, of one category or of all, in the taxonomy's order.

    Raises:
        TaxonomyError: unknown category (the message names the close match).
    """
    tax = taxonomy or load_taxonomy()
    cids = [tax.category(category).id] if category else list(tax.categories)
    nom, out = hs2022(), []
    for cid in cids:
        for answers, final in tax.answer_paths(cid):
            code = nom.codes[final.code] if final.code else None
            out.append(AnswerPath(cid, tuple(answers.items()), code, final.note))
    return out


def paths_json(paths: list[AnswerPath], lang: str = "en") -> str:
    """A JSON array, one object per path (see `AnswerPath.to_dict`)."""
    return json.dumps([p.to_dict(lang) for p in paths], ensure_ascii=False, indent=1)


def paths_csv(paths: list[AnswerPath], lang: str = "en") -> str:
    """CSV: category, answers as ``question=option`` joined by ``;``, code, description, note."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["category", "answers", "code", "description", "note"])
    for p in paths:
        d = p.to_dict(lang)
        w.writerow([p.category, ";".join(f"{q}={o}" for q, o in p.answers), d["code"] or "", d["description"] or "", d["note"] or ""])
    return buf.getvalue()


def paths_table(paths: list[AnswerPath], lang: str = "en", taxonomy: Taxonomy | None = None) -> str:
    """Human-readable listing: one block per path with the questions and answers in `lang`."""
    tax = taxonomy or load_taxonomy()
    lines = []
    for p in paths:
        end = f"HS {p.code.display}  {p.code.description}" if p.code else f"NOTE: {p.note[lang]}"
        steps = "  >  ".join(f"{q}={o}" for q, o in p.answers)
        lines.append(f"[{p.category}] {steps}")
        for (qt, ol) in p.labels(tax, lang):
            lines.append(f"    {qt} -> {ol}")
        lines.append(f"    => {end}")
    lines.append(f"({len(paths)} paths; taxonomy {tax.version}. {tax.research_notice[lang]})")
    return "\n".join(lines)
