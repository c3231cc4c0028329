"""After the HS 6-digit code: what an exporter needs for a destination, as checked, dated data.

`destinations.json` (package data) says, per destination (us, fr, es, other_eu, other), where the
importer's national tariff line is looked up (never invented digits), the preferential-origin route and
its proof, and the product rules per category (and optionally per HS code prefix). Every entry names its
source and the date it was checked; every text exists in English, French and Arabic. Rules change: the
data is versioned and each result carries its dates. No torch, no gradio.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ..errors import TaxonomyError
from .nomenclature import hs2022, normalize_code
from .taxonomy import LANGUAGES, load_taxonomy

DESTINATIONS = ("us", "fr", "es", "other_eu", "other")
_BASES = ("read", "reference")
_LABELS = ("title", "national_line", "export_line", "origin", "rules", "no_rules", "source", "checked", "reference", "your_code")


@dataclass(frozen=True)
class Entry:
    """One dated fact in one language: its text, its source and when it was checked."""

    id: str
    text: str
    source: str
    checked: str  # ISO date
    basis: str  # "read": compared with the source that day; "reference": written from the reference named

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "source": self.source, "checked": self.checked, "basis": self.basis}


@dataclass
class DestinationAdvice:
    """What the exporter needs after the HS code, for one category, code, destination and language."""

    destination: str
    destination_name: str
    category: str
    code: str | None  # "5701.10", or None while the code is not known
    lang: str
    national_line: Entry
    export_line: Entry
    origin: Entry
    rules: list[Entry] = field(default_factory=list)
    disclaimer: str = ""
    labels: dict = field(default_factory=dict)
    data_version: str = ""

    def to_dict(self) -> dict:
        return {"destination": self.destination, "destination_name": self.destination_name, "category": self.category,
                "code": self.code, "lang": self.lang, "national_line": self.national_line.to_dict(),
                "export_line": self.export_line.to_dict(), "origin": self.origin.to_dict(),
                "rules": [r.to_dict() for r in self.rules], "disclaimer": self.disclaimer, "data_version": self.data_version}


def _fail(where: str, what: str) -> None:
    raise TaxonomyError(f"Destinations data: {where} {what}.")


def _check_entry(e, where: str) -> None:
    if not isinstance(e, dict):
        _fail(where, f"must be an object with text, source, checked and basis; got {e!r}")
    _check_text(e.get("text"), f"{where}.text")
    if not str(e.get("source", "")).strip():
        _fail(where, "has no source: name the regulation, page or document it comes from")
    try:
        day = dt.date.fromisoformat(str(e.get("checked")))
    except ValueError:
        _fail(where, f"needs a 'checked' date as YYYY-MM-DD; got {e.get('checked')!r}")
    if day > dt.date.today():
        _fail(where, f"has a 'checked' date in the future ({day})")
    if e.get("basis") not in _BASES:
        _fail(where, f"needs a basis in {_BASES}; got {e.get('basis')!r}")


def _check_text(t, where: str) -> None:
    if not isinstance(t, dict):
        _fail(where, f"must be a mapping of languages {LANGUAGES}; got {t!r}")
    for lang in LANGUAGES:
        if not str(t.get(lang, "")).strip():
            _fail(where, f"has no {lang!r} text")


def check_destinations(doc: dict, categories) -> dict:
    """Validate the destinations document against the taxonomy's categories and HS 2022; returns it.

    Raises:
        TaxonomyError: unknown destination or category, a missing language, source or date, an HS prefix
            that does not exist.
    """
    for key in ("version", "disclaimer", "labels", "export_line", "destinations", "rules"):
        if key not in doc:
            _fail("", f"lacks the key {key!r}")
    _check_text(doc["disclaimer"], "disclaimer")
    for name in _LABELS:
        _check_text(doc["labels"].get(name), f"labels.{name}")
    _check_entry(doc["export_line"], "export_line")
    if sorted(doc["destinations"]) != sorted(DESTINATIONS):
        _fail("destinations", f"must be exactly {DESTINATIONS}; got {sorted(doc['destinations'])}")
    for did, d in doc["destinations"].items():
        _check_text(d.get("name"), f"destinations.{did}.name")
        for part in ("national_line", "origin"):
            _check_entry(d.get(part), f"destinations.{did}.{part}")
    nom = hs2022()
    for i, r in enumerate(doc["rules"]):
        where = f"rules[{i}] ({r.get('id', '?')})"
        _check_entry(r, where)
        for c in r.get("categories") or _fail(where, "names no category"):
            if c != "*" and c not in categories:
                _fail(where, f"names the unknown category {c!r}; known: {sorted(categories)}")
        for d in r.get("destinations") or _fail(where, "names no destination"):
            if d not in DESTINATIONS:
                _fail(where, f"names the unknown destination {d!r}; known: {DESTINATIONS}")
        for prefix in r.get("codes", []):
            if prefix not in nom:
                _fail(where, f"names the HS prefix {prefix!r}, which is not an HS 2022 chapter, heading or subheading")
    return doc


@lru_cache(maxsize=1)
def load_destinations() -> dict:
    """The destinations data shipped in the package, checked once."""
    with resources.files("craftvision.taxonomy").joinpath("data", "destinations.json").open(encoding="utf-8") as fh:
        doc = json.load(fh)
    return check_destinations(doc, load_taxonomy().categories)


def _entry(e: dict, lang: str, code_text: str, eid: str) -> Entry:
    return Entry(eid, e["text"][lang].replace("{code}", code_text), e["source"], e["checked"], e["basis"])


def destination_advice(category: str, code: str | None, destination: str, lang: str = "en") -> DestinationAdvice:
    """What is needed after the HS code for `destination`: national line, origin route, product rules.

    Args:
        category: a taxonomy category id.
        code: the HS 2022 subheading ("5701.10" or "570110"), or None while it is not known.
        destination: one of `DESTINATIONS`.
        lang: "en", "fr" or "ar".

    Raises:
        TaxonomyError: unknown category, destination or language.
        HSCodeError: a code that is not a 6-digit HS 2022 subheading.
    """
    doc = load_destinations()
    load_taxonomy().category(category)  # unknown category: error with the close match
    if destination not in DESTINATIONS:
        raise TaxonomyError(f"Unknown destination {destination!r}; choose one of {', '.join(DESTINATIONS)}.")
    if lang not in LANGUAGES:
        raise TaxonomyError(f"Unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}.")
    digits = None
    if code:
        digits = normalize_code(code)
        if len(digits) != 6 or digits not in hs2022():
            raise TaxonomyError(f"The code {code!r} is not an HS 2022 subheading (6 digits); look it up with `craftvision hs lookup`.")
    shown = hs2022().codes[digits].display if digits else doc["labels"]["your_code"][lang]
    d = doc["destinations"][destination]
    rules = [_entry(r, lang, shown, r["id"]) for r in doc["rules"]
             if destination in r["destinations"] and ("*" in r["categories"] or category in r["categories"])
             and (not r.get("codes") or (digits is not None and digits.startswith(tuple(r["codes"]))))]
    return DestinationAdvice(
        destination=destination, destination_name=d["name"][lang], category=category,
        code=hs2022().codes[digits].display if digits else None, lang=lang,
        national_line=_entry(d["national_line"], lang, shown, f"{destination}.national_line"),
        export_line=_entry(doc["export_line"], lang, shown, "export_line"),
        origin=_entry(d["origin"], lang, shown, f"{destination}.origin"), rules=rules,
        disclaimer=doc["disclaimer"][lang], labels={k: v[lang] for k, v in doc["labels"].items()},
        data_version=str(doc["version"]))


def _dated(advice: DestinationAdvice, e: Entry) -> str:
    when = (advice.labels["checked"] if e.basis == "read" else advice.labels["reference"]).replace("{date}", e.checked)
    return f"{advice.labels['source']}: {e.source} ({when})"


def render_text(advice: DestinationAdvice) -> str:
    """Plain-text rendering (the CLI's)."""
    a = advice
    out = [a.labels["title"].replace("{destination}", a.destination_name)]
    for label, e in ((a.labels["national_line"], a.national_line), (a.labels["export_line"], a.export_line),
                     (a.labels["origin"], a.origin)):
        out += [f"{label}:", f"  {e.text}", f"  {_dated(a, e)}"]
    out.append(f"{a.labels['rules']}:")
    for r in a.rules:
        out += [f"  - {r.text}", f"    {_dated(a, r)}"]
    if not a.rules:
        out.append(f"  {a.labels['no_rules']}")
    out.append(f"({a.disclaimer} [{a.data_version}])")
    return "\n".join(out)
