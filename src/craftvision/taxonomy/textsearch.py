"""Ranked text search over the taxonomy (labels, explanations, designations, notes in en/fr/ar) and HS 2022.

Okapi BM25 (k1 = 1.2, b = 0.75) over three kinds of documents: every complete answer path of the
taxonomy (category name, option labels counted twice, designations, question help, the end's description
or note, in the three languages), every category (name and explanation) and every HS 2022
heading and subheading (UN Comtrade's English label, weighted down so a taxonomy path that says the
same comes first). A path hit keeps the answers the query itself supports (the prefix of the path up to
the last option whose words the query contains) and lists the questions still to answer.

Written here rather than taken from a library: about forty lines, and the tokenisation (accent
folding, Arabic normalisation) is the part that matters.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from ..errors import QueryError
from .nomenclature import HSCode, hs2022
from .paths import AnswerPath, list_paths
from .taxonomy import LANGUAGES, Taxonomy, load_taxonomy
from .textnorm import tokens

_K1, _B = 1.2, 0.75
_CODE_WEIGHT = 0.6  # nomenclature labels are English only and generic: rank them below an equal taxonomy match
_STILL_TO_ANSWER = {"en": "still to answer", "fr": "reste à répondre", "ar": "يبقى الجواب عن"}
_CATEGORY_WEIGHT = 0.8  # a category's name and explanation: below a path that says the same


@dataclass
class SearchHit:
    """One result: a taxonomy path (possibly partial) or a nomenclature code.

    Attributes:
        score: BM25 score (higher is better).
        kind: "path", "category" (only the category matched) or "code" (an HS 2022 label matched).
        category: the taxonomy category (None for a nomenclature code).
        answers: the (question, option) pairs the query supports.
        codes: the code reached, or the codes still possible.
        remaining: the questions still to answer, in order (ids).
        note: the note the path ends at (per language), if any.
    """

    score: float
    kind: str
    category: str | None
    answers: list[tuple[str, str]]
    codes: list[HSCode]
    remaining: list[str] = field(default_factory=list)
    note: dict | None = None

    def to_dict(self, lang: str = "en", taxonomy: Taxonomy | None = None) -> dict:
        tax = taxonomy or load_taxonomy()
        out = {"score": round(self.score, 3), "kind": self.kind, "category": self.category,
               "answers": [list(a) for a in self.answers], "codes": [c.display for c in self.codes],
               "descriptions": [c.description for c in self.codes], "note": self.note[lang] if self.note else None,
               "remaining": []}
        if self.category:
            cat = tax.categories[self.category]
            out["category_name"] = cat.name[lang]
            out["remaining"] = [{"id": q, "text": cat.questions[q].text[lang]} for q in self.remaining]
        return out


class _BM25:
    def __init__(self, docs: list[list[str]], weights: list[float]):
        self.tf = [Counter(d) for d in docs]
        self.len = [len(d) for d in docs]
        self.avg = sum(self.len) / max(1, len(docs))
        df = Counter(t for d in self.tf for t in d)
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.weights = weights

    def scores(self, query: list[str]) -> list[float]:
        """BM25 per document, times the share of query words the document contains (a coordination
        factor: "copper tray" prefers the path with both words over the one that repeats "copper")."""
        query = list(dict.fromkeys(query))
        out = []
        for tf, ln, w in zip(self.tf, self.len, self.weights):
            s, hits = 0.0, 0
            for t in query:
                f = tf.get(t, 0)
                if f:
                    hits += 1
                    s += self.idf[t] * f * (_K1 + 1) / (f + _K1 * (1 - _B + _B * ln / self.avg))
            out.append(s * w * hits / len(query))
        return out


def _path_text(tax: Taxonomy, p: AnswerPath) -> list[str]:
    cat = tax.categories[p.category]
    # The category's explanation is left out: it lists the category's products ("trays, teapots..."), which
    # would make every path of the category match them.
    parts = [cat.name[lg] + " " + cat.designation[lg] for lg in LANGUAGES]
    for q, o in p.answers:
        question = cat.questions[q]
        opt = question.options[o]
        for lg in LANGUAGES:
            parts += [opt.label[lg]] * 2 + ([opt.designation[lg]] if opt.designation else [])
            parts += [question.help[lg]] if question.help else []
    if p.code:
        parts.append(p.code.description)
    if p.note:
        parts += [p.note[lg] for lg in LANGUAGES]
    return tokens(" ".join(parts))


def _category_text(cat) -> list[str]:
    return tokens(" ".join(cat.name[lg] + " " + cat.explanation[lg] + " " + cat.designation[lg] for lg in LANGUAGES))


@lru_cache(maxsize=4)
def _index(tax: Taxonomy):
    paths = list_paths(taxonomy=tax)
    cats = [c for c in tax.categories.values() if c.questions]
    codes = [c for c in hs2022().codes.values() if c.level in (4, 6)]
    docs = [_path_text(tax, p) for p in paths] + [_category_text(c) for c in cats] + [tokens(c.description) for c in codes]
    weights = [1.0] * len(paths) + [_CATEGORY_WEIGHT] * len(cats) + [_CODE_WEIGHT] * len(codes)
    return paths, cats, codes, _BM25(docs, weights)


def _option_words(tax: Taxonomy, cid: str, q: str, o: str) -> set[str]:
    opt = tax.categories[cid].questions[q].options[o]
    return set(tokens(" ".join(list(opt.label.values()) + list((opt.designation or {}).values()))))


def _hit_for_path(tax: Taxonomy, p: AnswerPath, query: set[str], score: float) -> SearchHit:
    matched = [i for i, (q, o) in enumerate(p.answers) if _option_words(tax, p.category, q, o) & query]
    if not matched or matched[-1] == len(p.answers) - 1:  # the whole path (or only its end text) matched
        return SearchHit(score, "path", p.category, list(p.answers), [p.code] if p.code else [], [], p.note)
    given = list(p.answers[: matched[-1] + 1])
    nxt = p.answers[matched[-1] + 1][0]
    cat = tax.categories[p.category]
    nom = hs2022()
    codes = [nom.codes[c] for c in tax.reachable_codes(cat, nxt)]
    remaining = [q for q, _ in p.answers[matched[-1] + 1:]]
    return SearchHit(score, "path", p.category, given, codes, remaining, None)


def search_products(query: str, limit: int = 5, taxonomy: Taxonomy | None = None) -> list[SearchHit]:
    """Rank taxonomy paths and HS 2022 codes for a query in English, French or Arabic.

    Raises:
        QueryError: the query is empty, has no searchable word, or matches nothing.
    """
    tax = taxonomy or load_taxonomy()
    text = (query or "").strip()
    if not text:
        raise QueryError("The search query is empty: give a few words, e.g. 'chaise en bois', 'زربية صوف' or 'copper tray'.")
    q = tokens(text)
    if not q:
        raise QueryError(f"The query {text!r} has no word to search for (only short or common words): "
                         "add what the product is or is made of, e.g. 'plateau en cuivre'.")
    paths, cats, codes, bm25 = _index(tax)
    scores = bm25.scores(q)
    order = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: -scores[i])
    hits, seen, seen_codes, n_taxonomy = [], set(), set(), len(paths) + len(cats)
    for i in order:
        if i < n_taxonomy:
            if i < len(paths):
                hit = _hit_for_path(tax, paths[i], set(q), scores[i])
            else:  # the category's name or explanation matched: its first question is still to answer
                cat = cats[i - len(paths)]
                hit = SearchHit(scores[i], "category", cat.id, [], [hs2022().codes[c] for c in cat.subheadings], [cat.start])
            key = (hit.category, tuple(hit.answers))
            if key in seen:
                continue
            seen.add(key)
            seen_codes.update(c.code for c in hit.codes)
        else:
            code = codes[i - n_taxonomy]
            if code.code in seen_codes:
                continue
            seen_codes.add(code.code)
            hit = SearchHit(scores[i], "code", None, [], [code])
        hits.append(hit)
        if len(hits) >= limit:
            break
    if not hits:
        raise QueryError(f"Nothing matches {text!r} in the taxonomy or in HS 2022: try other words (French, Arabic or "
                         "English), or list every path with `craftvision hs paths`.")
    return hits


def render_hits_text(hits: list[SearchHit], lang: str = "en", taxonomy: Taxonomy | None = None) -> str:
    """Plain-text rendering of search hits: where each ends, the answers given and those still to give."""
    tax = taxonomy or load_taxonomy()
    out = []
    for rank, h in enumerate(hits, 1):
        codes = ", ".join(c.display for c in h.codes[:6]) + (f" (+{len(h.codes) - 6} more)" if len(h.codes) > 6 else "") or "-"
        if h.kind == "code":
            out.append(f"{rank}. HS {codes}  {h.codes[0].description}  [HS 2022 nomenclature]")
            continue
        cat = tax.categories[h.category]
        given = " ".join(f"--answer {q}={o}" for q, o in h.answers)
        out.append(f"{rank}. {cat.name[lang]}: HS {codes}" + (f"  ({h.codes[0].description})" if len(h.codes) == 1 else ""))
        for q, o in h.answers:
            out.append(f"     {cat.questions[q].text[lang]} -> {cat.questions[q].options[o].label[lang]}")
        if h.note:
            out.append(f"     {h.note[lang]}")
        if h.remaining:
            out.append(f"     {_STILL_TO_ANSWER[lang]}: " + "; ".join(cat.questions[q].text[lang] for q in h.remaining))
        out.append(f"     craftvision hs suggest {h.category} {given}".rstrip())
    out.append(f"({tax.research_notice[lang]})")
    return "\n".join(out)
