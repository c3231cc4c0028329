"""Text normalisation for search in English, French and Arabic.

Latin: lower case, accents folded (é -> e), light plural stemming. Arabic: hamza and alef forms
folded (أ إ آ ٱ -> ا, ؤ -> و, ئ -> ي), taa marbuta -> haa, alef maqsura -> yaa, diacritics and
tatweel removed, the article and common prefixes stripped (ال، وال، بال، كال، فال، لل).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ARABIC_MAP = str.maketrans({"ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None, "ء": None})
_COMBINING = re.compile(r"[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TOKEN = re.compile(r"[a-z0-9]+|[\u0621-\u064a]+")
STOP_WORDS = frozenset(
    "a an and the of or for with in on to by not other others any it is its de du des d l le la les et ou un une en au aux "
    "pour avec sans par sur dans autre autres est ce se ni pas "
    "من في او أو و على مع غير اخرى أخرى عن ما هل".split()
)
_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")


def fold(text: str) -> str:
    """Lower case, accents and Arabic diacritics removed, Arabic letter forms unified."""
    text = str(text).lower()
    if text.isascii():
        return text
    kept = _COMBINING.sub("", unicodedata.normalize("NFKD", text))  # drops harakat, hamza marks, accents
    return kept.translate(_ARABIC_MAP)


@lru_cache(maxsize=65536)
def _stem(token: str) -> str:
    if "\u0621" <= token[0] <= "\u064a":
        for p in _AR_PREFIXES:
            if token.startswith(p) and len(token) - len(p) >= 3:
                token = token[len(p):]
                break
        for s in ("ات", "ين", "ون", "ه", "ي"):
            if token.endswith(s) and len(token) - len(s) >= 3:
                return token[: -len(s)]
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("ches", "shes", "xes", "sses")):
        return token[:-2]
    if token.endswith(("s", "x")) and not token.endswith("ss") and len(token) > 3:
        token = token[:-1]
    if token.endswith("ive") and len(token) > 5:  # décorative / decorative -> decoratif, as décoratif
        return token[:-3] + "if"
    if token.endswith("ee") and len(token) > 4:  # nouée -> noue (accents are already folded)
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Search terms of a text: folded, stop words dropped, lightly stemmed."""
    return [_stem(t) for t in _TOKEN.findall(fold(text)) if t not in STOP_WORDS and len(t) > 1]
