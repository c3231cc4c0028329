"""Content checks run when the taxonomy loads, beyond its structure.

- every question has a way out: an option ending at an "ask an expert" note;
- every HS code a note names exists in HS 2022 (so a note never sends the user to a code that is not there);
- the first answer of every path that leads to a code names the goods (its designation);
- exclusion checks: a path whose option labels name a product of a heading cannot end in another heading
  (a chair or a seat ends in 94.01, a lamp or a lantern in 94.05, a mat in 46.01), unless it ends at
  a note that names that heading.

Works on the taxonomy's parsed categories (duck-typed), so it does not import the loader.
"""

from __future__ import annotations

import re

from ..errors import TaxonomyError

#: (name, pattern over option labels in en/fr/ar, HS prefixes allowed, heading a note must name)
EXCLUSIONS = (
    ("seat", re.compile(r"\b(chairs?|seats?|stools?|benches|bench|sofas?|armchairs?|chaises?|si[eè]ges?|fauteuils?|"
                        r"tabourets?|bancs?|canap[eé]s?)\b|كرسي|كراسي|مقعد|مقاعد|أريكة", re.I), ("9401",), "94.01"),
    ("lamp", re.compile(r"\b(lamps?|lanterns?|chandeliers?|lampes?|lanternes?|lustres?|luminaires?)\b|مصباح|مصابيح|فانوس|فوانيس|ثريا",
                        re.I), ("9405",), "94.05"),
    ("mat", re.compile(r"\b(mats?|matting|nattes?)\b|حصير", re.I), ("4601",), "46.01"),
)
_NOTE_CODE = re.compile(r"(?<![\d.])(\d{4}\.\d{2}|\d{2}\.\d{2})(?![\d.]*\d)")


def codes_named(text: str) -> list[str]:
    """The HS codes a note names ("94.01", "9401.61"), as digits."""
    return [m.replace(".", "") for m in _NOTE_CODE.findall(text)]


def check_category(cat, where: str, nomenclature) -> None:
    """Run every content check on one parsed category; raise TaxonomyError saying where."""
    for qid, q in cat.questions.items():
        exits = [o for o in q.options.values() if o.note]
        if not exits:
            raise TaxonomyError(f"Taxonomy: {where}.questions.{qid} has no way out: add an "
                                "'other / I don't know' option ending at an 'ask an expert' note.")
        for o in exits:
            named = codes_named(o.note["en"])
            if not named:
                raise TaxonomyError(f"Taxonomy: {where}.questions.{qid}.options.{o.id}: the note names no "
                                    "candidate heading (write them as 94.01 or 9401.61).")
            for lang in ("fr", "ar"):
                if sorted(codes_named(o.note[lang])) != sorted(named):
                    raise TaxonomyError(f"Taxonomy: {where}.questions.{qid}.options.{o.id}: the {lang!r} note names "
                                        f"{codes_named(o.note[lang])}, the English one {named}.")
            for digits in named:
                if digits not in nomenclature:
                    raise TaxonomyError(f"Taxonomy: {where}.questions.{qid}.options.{o.id}: the note names "
                                        f"{digits}, which is not an HS 2022 code.")
    if not cat.questions:
        return
    for oid, o in cat.questions[cat.start].options.items():
        if not o.note and not o.designation:
            raise TaxonomyError(f"Taxonomy: {where}.questions.{cat.start}.options.{oid} needs a designation "
                                "naming the goods (the designation follows the answers).")
    for labels, end in _paths(cat, cat.start, ()):
        _check_exclusions(labels, end, where)


def _paths(cat, qid, labels):
    """(the option labels of a path, in every language; the option it ends with)."""
    for o in cat.questions[qid].options.values():
        here = labels + tuple(o.label.values())
        if o.next:
            yield from _paths(cat, o.next, here)
        else:
            yield here, o


def _check_exclusions(labels, end, where: str) -> None:
    text = " | ".join(labels)
    for name, pattern, prefixes, heading in EXCLUSIONS:
        if not pattern.search(text):
            continue
        if end.code and end.code.startswith(prefixes):
            continue
        if end.note and heading in end.note["en"]:
            continue
        target = end.code or "a note without " + heading
        raise TaxonomyError(f"Taxonomy: {where}: a path whose labels name a {name} ({text[:120]}...) ends at "
                            f"{target}; a {name} belongs to {heading}.")
