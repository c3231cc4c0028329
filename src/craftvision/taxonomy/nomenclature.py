"""The HS nomenclature (HS 2022, with HS 2017 for older paperwork) as package data.

Source: the datasets/harmonized-system project (UN Comtrade classification lists), ODC-PDDL-1.0.
The descriptions are UN Comtrade's plain labels, not the WCO's legal text.
"""

from __future__ import annotations

import csv
import difflib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ..errors import HSCodeError

LEVEL_NAMES = {2: "chapter", 4: "heading", 6: "subheading"}


@dataclass(frozen=True)
class HSCode:
    """One code of the nomenclature."""

    code: str  # digits only: "69", "6907", "690723"
    description: str
    level: int  # 2, 4 or 6 digits
    parent: str | None
    section: str

    @property
    def display(self) -> str:
        """The code as customs write it: 69, 69.07, 6907.23."""
        if self.level == 2:
            return self.code
        if self.level == 4:
            return f"{self.code[:2]}.{self.code[2:]}"
        return f"{self.code[:4]}.{self.code[4:]}"

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]

    def to_dict(self) -> dict:
        return {"code": self.display, "level": self.level_name, "description": self.description}


@dataclass
class LookupResult:
    """What `lookup` found: the HS 2022 code with its parents, or an older code with its HS 2022 candidates."""

    query: str
    code: HSCode | None
    parents: list[HSCode] = field(default_factory=list)
    older: dict | None = None  # {"edition", "code", "description", "candidates": [HSCode]}

    def to_dict(self) -> dict:
        out = {"query": self.query}
        if self.code:
            out.update(self.code.to_dict())
            out["parents"] = [p.to_dict() for p in self.parents]
        if self.older:
            out["older_edition"] = {**self.older, "candidates": [c.to_dict() for c in self.older["candidates"]]}
        return out


def normalize_code(text: str) -> str:
    """"6907.23", "690723", "6907 23", "69.07" -> digits; anything else is an error."""
    raw = str(text).strip()
    digits = re.sub(r"[\s.\-]", "", raw)
    if not digits.isdigit() or len(digits) not in (2, 4, 6):
        raise HSCodeError(
            f"{raw!r} is not an HS code: give 2, 4 or 6 digits, e.g. '69', '69.07', '6907.23' or '690723'."
        )
    return digits


class Nomenclature:
    """One edition of the HS, indexed by code."""

    def __init__(self, edition: str, rows: list[dict]):
        self.edition = edition
        self.codes: dict[str, HSCode] = {}
        for r in rows:
            code = r["hscode"]
            # Chapter 99 ("Commodities not specified according to kind", section TOTAL) is a UN
            # Comtrade reporting code, not part of the HS: it is left out.
            if code.isdigit() and len(code) in (2, 4, 6) and r.get("section") != "TOTAL":
                self.codes[code] = HSCode(code, r["description"], len(code), r["parent"] if r["parent"] != "TOTAL" else None, r.get("section", ""))

    def __contains__(self, code: str) -> bool:
        return code in self.codes

    def get(self, code: str) -> HSCode | None:
        return self.codes.get(code)

    def parents(self, code: str) -> list[HSCode]:
        out, cur = [], self.codes[code].parent
        while cur and cur in self.codes:
            out.append(self.codes[cur])
            cur = self.codes[cur].parent
        return out[::-1]

    def nearest(self, digits: str, n: int = 5) -> list[HSCode]:
        """Existing codes closest to `digits`: same level, longest shared prefix, then numerically closest."""
        same = [c for c in self.codes.values() if c.level == len(digits)]

        def key(c: HSCode):
            shared = len(_common_prefix(c.code, digits))
            return (-shared, abs(int(c.code) - int(digits)))

        return sorted(same, key=key)[:n]


def _common_prefix(a: str, b: str) -> str:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[:i]


def _read_csv(name: str) -> list[dict]:
    with resources.files("craftvision.taxonomy").joinpath("data", name).open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=None)
def hs2022() -> Nomenclature:
    return Nomenclature("HS 2022", _read_csv("hs2022.csv"))


@lru_cache(maxsize=None)
def hs2017() -> Nomenclature:
    return Nomenclature("HS 2017", _read_csv("hs2017.csv"))


@lru_cache(maxsize=None)
def _older_table() -> dict:
    with resources.files("craftvision.taxonomy").joinpath("data", "older_editions.json").open(encoding="utf-8") as fh:
        return json.load(fh)["codes"]


def _hs2022_candidates_for_2017(code: str) -> list[HSCode]:
    """HS 2022 codes that replaced an HS 2017 code HS 2022 no longer has.

    The codes new in HS 2022 under the same 5-digit group (9405.10 -> 9405.11/.19), else under
    the same heading (9705.00 -> 9705.10/.21/.22/.29/.31/.39); the heading itself when nothing new.
    """
    new22, old17 = hs2022(), hs2017()
    fresh = [c for c in new22.codes.values() if c.level == len(code) and c.code not in old17]
    for prefix_len in (5, 4, 2):
        hits = [c for c in fresh if c.code.startswith(code[:prefix_len])]
        if hits:
            return sorted(hits, key=lambda c: c.code)
    heading = new22.get(code[:4])
    return [heading] if heading else []


def lookup(text: str) -> LookupResult:
    """Look an HS code up in HS 2022; recognise older-edition codes and give their HS 2022 candidates.

    Raises:
        HSCodeError: malformed, or in no edition known here (the message lists the nearest codes).
    """
    digits = normalize_code(text)
    nom = hs2022()
    if digits in nom:
        return LookupResult(text, nom.codes[digits], nom.parents(digits))
    old17 = hs2017()
    if digits in old17:
        cands = _hs2022_candidates_for_2017(digits)
        return LookupResult(text, None, older={"edition": "HS 2017", "code": old17.codes[digits].display,
                                              "description": old17.codes[digits].description, "candidates": cands})
    table = _older_table()
    if digits in table:
        entry = table[digits]
        cands = [nom.codes[c] for c in entry["candidates"]]
        display = HSCode(digits, entry["description"], len(digits), None, "").display
        return LookupResult(text, None, older={"edition": entry["edition"], "code": display,
                                              "description": entry["description"], "candidates": cands})
    near = ", ".join(f"{c.display} ({_short(c.description)})" for c in nom.nearest(digits, 4))
    shown = HSCode(digits, "", len(digits), None, "").display
    raise HSCodeError(f"The code {shown} does not exist in HS 2022 (nor in HS 2017). Nearest existing codes: {near}.")


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# ------------------------------------------------------------------------------------------
# Keyword search
# ------------------------------------------------------------------------------------------

#: French (and a few Moroccan) craft words -> English words used by the nomenclature.
FRENCH_WORDS = {
    "tapis": "carpet", "tapisserie": "tapestry", "laine": "wool", "coton": "cotton", "soie": "silk",
    "noue": "knotted", "tisse": "woven", "kilim": "kelem", "marbre": "marble", "pierre": "stone",
    "granit": "granite", "table": "table", "carreau": "tiles", "carreaux": "tiles", "zellige": "tiles",
    "zelliges": "tiles", "mosaique": "mosaic", "poterie": "ceramic", "ceramique": "ceramic",
    "faience": "ceramic", "tajine": "ceramic kitchenware", "assiette": "tableware", "vaisselle": "tableware",
    "porcelaine": "porcelain", "cuir": "leather", "sac": "handbags", "babouche": "footwear",
    "babouches": "footwear", "chaussure": "footwear", "chaussures": "footwear", "pouf": "pouffes",
    "lanterne": "luminaires", "lampe": "lamps", "lustre": "chandeliers", "cuivre": "copper",
    "laiton": "copper", "argent": "silver", "or": "gold", "fer": "iron", "bijou": "jewellery",
    "bijoux": "jewellery", "bois": "wood", "boite": "caskets", "coffret": "caskets", "cadre": "frames",
    "meuble": "furniture", "panier": "basketwork", "vannerie": "basketwork", "osier": "wickerwork",
    "rotin": "rattan", "couverture": "blankets", "couvre-lit": "bedspreads", "coussin": "cushions",
    "chale": "shawls", "echarpe": "scarves", "serviette": "towelling", "miroir": "mirrors",
    "fossile": "palaeontological", "statuette": "statuettes",
}
_STOP = {"of", "and", "the", "a", "or", "de", "du", "des", "en", "le", "la", "les", "et", "un", "une"}


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"[a-z0-9-]+", _fold(text)) if t not in _STOP]


def _stem(word: str) -> str:
    for suffix in ("ings", "ing", "ies", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def search(text: str, limit: int = 10, levels: tuple[int, ...] = (4, 6)) -> list[tuple[HSCode, float]]:
    """Rank HS 2022 headings and subheadings for keywords (English, with French craft words mapped).

    The score counts query words found in the description (stemmed), weighted towards rarer words,
    with a small bonus for headings so the broad answer comes first when the match is equal.
    """
    words = []
    for t in _tokens(text):
        mapped = FRENCH_WORDS.get(t)
        words += _tokens(mapped) if mapped else [t]
    stems = [_stem(w) for w in dict.fromkeys(words)]
    if not stems:
        return []
    nom = hs2022()
    docs = {c.code: {_stem(w) for w in _tokens(c.description)} for c in nom.codes.values() if c.level in levels}
    df = {s: sum(1 for d in docs.values() if s in d) for s in stems}
    results = []
    for code, terms in docs.items():
        score = 0.0
        for s in stems:
            if s in terms:
                score += 1.0 / (1 + df[s]) ** 0.5
            elif df[s] == 0 and any(difflib.SequenceMatcher(None, s, t).ratio() > 0.85 for t in terms):
                score += 0.5  # a typo of a word that exists nowhere exactly
        if score > 0:
            hc = nom.codes[code]
            matched = sum(1 for s in stems if s in terms)
            score = score * (1 + matched) + (0.05 if hc.level == 4 else 0.0)
            results.append((hc, round(score, 4)))
    results.sort(key=lambda r: (-r[1], r[0].code))
    return results[:limit]
