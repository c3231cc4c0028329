"""The craft taxonomy: category -> HS headings -> candidate subheadings -> deciding questions.

A versioned JSON file in the package, checked on load against HS 2022: every code exists at the
level claimed, every answer path ends at a 6-digit code or an explicit note, every label has
English, French and Arabic, and unknown keys are errors naming the close match.
"""

from __future__ import annotations

import difflib
import json

from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import AnswerError, TaxonomyError
from . import checks
from .nomenclature import hs2022, normalize_code
from .types import Category, HSSuggestion, Option, Question

__all__ = ["Category", "HSSuggestion", "Option", "Question", "Taxonomy", "load_taxonomy", "load_taxonomy_file"]

LANGUAGES = ("en", "fr", "ar")
_TOP_KEYS = {"format", "version", "hs_edition", "source", "disclaimer", "research_notice", "labels", "notes", "shared",
             "review", "categories"}
_CATEGORY_KEYS = {"name", "explanation", "designation", "headings", "subheadings", "start", "questions", "include"}
_SHARED_KEYS = {"headings", "subheadings", "questions"}
_REVIEW_KEYS = {"item", "path", "decision", "why"}
REVIEW_DECISIONS = ("fixed", "partly", "not followed")
_QUESTION_KEYS = {"text", "help", "options"}
_OPTION_KEYS = {"label", "code", "next", "note", "designation"}


def _unknown_keys(found, allowed, where: str) -> None:
    for key in found:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {sorted(allowed)}"
            raise TaxonomyError(f"Taxonomy: unknown key {key!r} at {where}{hint}")


class Taxonomy:
    """The loaded, checked taxonomy."""

    def __init__(self, doc: dict, where: str = "taxonomy.json"):
        self.where = where
        _unknown_keys(doc, _TOP_KEYS, "the top level")
        for key in ("version", "categories", "disclaimer"):
            if key not in doc:
                raise TaxonomyError(f"Taxonomy {where}: missing the top-level key {key!r}.")
        self.version = str(doc["version"])
        self._labels = doc.get("labels", {})
        self._notes = doc.get("notes", {})
        self.disclaimer = self._lang(doc["disclaimer"], "disclaimer")
        self.research_notice = self._lang(doc.get("research_notice", doc["disclaimer"]), "research_notice")
        self.review = self._review(doc.get("review", []))
        self._shared = doc.get("shared", {})
        self.categories: dict[str, Category] = {}
        for cid, cdoc in doc["categories"].items():
            self.categories[cid] = self._category(cid, self._with_shared(cid, cdoc))

    def _review(self, items) -> list[dict]:
        """The per-item decisions on the customs-classification review (maintainers' notes, English)."""
        for i, item in enumerate(items):
            _unknown_keys(item, _REVIEW_KEYS, f"review[{i}]")
            if set(item) != _REVIEW_KEYS or item["decision"] not in REVIEW_DECISIONS:
                raise TaxonomyError(f"Taxonomy: review[{i}] needs {sorted(_REVIEW_KEYS)} with a decision in "
                                    f"{REVIEW_DECISIONS}; got {item!r}.")
        return list(items)

    def _with_shared(self, cid: str, cdoc: dict) -> dict:
        """A category with the shared question blocks it includes merged in (e.g. the lamp questions)."""
        if not cdoc.get("include"):
            return cdoc
        out = {**cdoc, "headings": list(cdoc["headings"]), "subheadings": list(cdoc["subheadings"]),
               "questions": dict(cdoc["questions"])}
        for name in cdoc["include"]:
            if name not in self._shared:
                raise TaxonomyError(f"Taxonomy: categories.{cid}.include names the unknown block {name!r}; "
                                    f"known: {sorted(self._shared)}.")
            block = self._shared[name]
            _unknown_keys(block, _SHARED_KEYS, f"shared.{name}")
            for qid, q in block["questions"].items():
                if qid in out["questions"]:
                    raise TaxonomyError(f"Taxonomy: categories.{cid} has its own question {qid!r}, also in shared.{name}.")
                out["questions"][qid] = q
            out["headings"] += [h for h in block["headings"] if h not in out["headings"]]
            out["subheadings"] += [c for c in block["subheadings"] if c not in out["subheadings"]]
        return out

    # -- parsing and checks -----------------------------------------------------------------
    def _lang(self, value, where: str, allow_empty: bool = False) -> dict:
        if isinstance(value, str) and value.startswith("@"):
            ref = value[1:]
            table = self._labels if ref in self._labels else self._notes
            if ref not in table:
                raise TaxonomyError(f"Taxonomy: {where} refers to an unknown label {value!r}.")
            value = table[ref]
        if not isinstance(value, dict):
            raise TaxonomyError(f"Taxonomy: {where} must be a mapping of languages {LANGUAGES}; got {value!r}.")
        _unknown_keys(value, set(LANGUAGES), where)
        for lang in LANGUAGES:
            if lang not in value or (not allow_empty and not str(value[lang]).strip()):
                raise TaxonomyError(f"Taxonomy: {where} has no {lang!r} text.")
        return dict(value)

    def _code(self, text: str, level: int, where: str) -> str:
        try:
            digits = normalize_code(text)
        except Exception as exc:
            raise TaxonomyError(f"Taxonomy: {where}: {exc}") from None
        if len(digits) != level:
            raise TaxonomyError(f"Taxonomy: {where}: {text!r} must be a {level}-digit code.")
        if digits not in hs2022():
            near = ", ".join(c.display for c in hs2022().nearest(digits, 3))
            raise TaxonomyError(f"Taxonomy: {where}: {text!r} does not exist in HS 2022 (nearest: {near}).")
        return digits

    def _category(self, cid: str, cdoc: dict) -> Category:
        where = f"categories.{cid}"
        _unknown_keys(cdoc, _CATEGORY_KEYS, where)
        for key in ("name", "explanation", "headings", "subheadings", "questions"):
            if key not in cdoc:
                raise TaxonomyError(f"Taxonomy: {where} lacks {key!r}.")
        headings = tuple(self._code(h, 4, f"{where}.headings") for h in cdoc["headings"])
        subs = tuple(self._code(s, 6, f"{where}.subheadings") for s in cdoc["subheadings"])
        for s in subs:
            if s[:4] not in headings:
                raise TaxonomyError(f"Taxonomy: {where}: subheading {s} is not under the headings {headings}.")
        questions = {}
        for qid, qdoc in cdoc["questions"].items():
            qw = f"{where}.questions.{qid}"
            _unknown_keys(qdoc, _QUESTION_KEYS, qw)
            if not qdoc.get("options"):
                raise TaxonomyError(f"Taxonomy: {qw} has no options.")
            options = {}
            for oid, odoc in qdoc["options"].items():
                ow = f"{qw}.options.{oid}"
                _unknown_keys(odoc, _OPTION_KEYS, ow)
                ends = [k for k in ("code", "next", "note") if odoc.get(k)]
                if len(ends) != 1:
                    raise TaxonomyError(f"Taxonomy: {ow} must lead to exactly one of code, next or note; has {ends or 'none'}.")
                code = self._code(odoc["code"], 6, ow) if odoc.get("code") else None
                if code and code not in subs:
                    raise TaxonomyError(f"Taxonomy: {ow} leads to {odoc['code']}, missing from {where}.subheadings.")
                options[oid] = Option(
                    oid, self._lang(odoc["label"], f"{ow}.label"), code, odoc.get("next"),
                    self._lang(odoc["note"], f"{ow}.note") if odoc.get("note") else None,
                    self._lang(odoc["designation"], f"{ow}.designation") if odoc.get("designation") else None,
                )
            questions[qid] = Question(qid, self._lang(qdoc["text"], f"{qw}.text"), options,
                                      self._lang(qdoc["help"], f"{qw}.help") if qdoc.get("help") else None)
        start = cdoc.get("start")
        cat = Category(cid, self._lang(cdoc["name"], f"{where}.name"), self._lang(cdoc["explanation"], f"{where}.explanation"),
                       self._lang(cdoc.get("designation", {l: "" for l in LANGUAGES}), f"{where}.designation", allow_empty=not headings),
                       headings, subs, start, questions)
        self._check_paths(cat, where)
        checks.check_category(cat, where, hs2022())
        return cat

    def _check_paths(self, cat: Category, where: str) -> None:
        if not cat.questions:
            if cat.headings and len(cat.subheadings) != 1:
                raise TaxonomyError(f"Taxonomy: {where} has no questions, so it needs exactly one subheading.")
            return
        if cat.start not in cat.questions:
            raise TaxonomyError(f"Taxonomy: {where}.start {cat.start!r} is not one of its questions {sorted(cat.questions)}.")
        reached_q, reached_codes = set(), set()

        def walk(qid: str, stack: tuple[str, ...]):
            if qid in stack:
                raise TaxonomyError(f"Taxonomy: {where}: the questions loop ({' -> '.join(stack + (qid,))}).")
            if qid not in cat.questions:
                close = difflib.get_close_matches(qid, sorted(cat.questions), n=1)
                raise TaxonomyError(f"Taxonomy: {where}: an option leads to the unknown question {qid!r}"
                                    + (f"; did you mean {close[0]!r}?" if close else "."))
            reached_q.add(qid)
            for opt in cat.questions[qid].options.values():
                if opt.next:
                    walk(opt.next, stack + (qid,))
                elif opt.code:
                    reached_codes.add(opt.code)

        walk(cat.start, ())
        unused = set(cat.questions) - reached_q
        if unused:
            raise TaxonomyError(f"Taxonomy: {where}: questions {sorted(unused)} cannot be reached from {cat.start!r}.")
        unreached = set(cat.subheadings) - reached_codes
        if unreached:
            raise TaxonomyError(f"Taxonomy: {where}: subheadings {sorted(unreached)} are listed but no answer leads there.")

    # -- queries ------------------------------------------------------------------------------
    def category(self, cid: str) -> Category:
        if cid not in self.categories:
            close = difflib.get_close_matches(cid, sorted(self.categories), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise TaxonomyError(f"Unknown category {cid!r}; known: {', '.join(sorted(self.categories))}.{hint}")
        return self.categories[cid]

    def reachable_codes(self, cat: Category, qid: str | None) -> list[str]:
        if qid is None:
            return list(cat.subheadings)
        out = []
        for opt in cat.questions[qid].options.values():
            if opt.code:
                out.append(opt.code)
            elif opt.next:
                out += self.reachable_codes(cat, opt.next)
        return sorted(set(out))

    def answer_paths(self, cid: str):
        """Every full path of answers of a category: yields (answers dict, final option).

        The answers dict keeps the order in which the questions are asked.
        """
        cat = self.category(cid)
        if not cat.questions:
            return

        def walk(qid, answers):
            for opt in cat.questions[qid].options.values():
                a = {**answers, qid: opt.id}
                if opt.next:
                    yield from walk(opt.next, a)
                else:
                    yield a, opt

        yield from walk(cat.start, {})

    def suggest(self, category: str, answers: dict | None = None) -> HSSuggestion:
        """Walk the category's questions with `answers` ({question: option}).

        Raises:
            TaxonomyError: unknown category.
            AnswerError: an unknown question, or an option that is not one of the question's.
        """
        cat = self.category(category)
        answers = dict(answers or {})
        for qid, value in answers.items():
            if qid not in cat.questions:
                valid = ", ".join(sorted(cat.questions)) or "none"
                raise AnswerError(f"The category {category!r} has no question {qid!r}; its questions: {valid}.")
            if value not in cat.questions[qid].options:
                valid = ", ".join(cat.questions[qid].options)
                raise AnswerError(f"{value!r} is not an answer to {qid!r}; valid answers: {valid}.")
        nom = hs2022()
        path, code, note, qid = [], None, None, cat.start
        fragments = {lang: [] for lang in LANGUAGES}
        while qid is not None and qid in answers:
            opt = cat.questions[qid].options[answers[qid]]
            path.append((qid, opt.id))
            if opt.designation:
                for lang in LANGUAGES:
                    fragments[lang].append(opt.designation[lang])
            if opt.code:
                code, qid = opt.code, None
            elif opt.note:
                note, qid = opt.note, None
            else:
                qid = opt.next
        named_headings: set[str] = set()
        if code:
            remaining = [code]
        elif note:  # the note ends the path: what is left is what the note names (checked at load to exist)
            named = [c for c in checks.codes_named(note["en"]) if c in nom]
            remaining = sorted({c for c in named if len(c) == 6})
            named_headings = {c for c in named if len(c) == 4}
        elif qid:
            remaining = self.reachable_codes(cat, qid)
        else:
            remaining = list(cat.subheadings)
        heading_ids = sorted({c[:4] for c in remaining} | named_headings) or list(cat.headings)
        return HSSuggestion(
            category=cat.id,
            headings=[nom.codes[h] for h in heading_ids],
            code=nom.codes[code] if code else None,
            candidates=[nom.codes[c] for c in remaining],
            next_question=cat.questions[qid] if qid else None,
            note=note,
            path=path,
            # The designation follows the answers (the first answer names the product); the category's
            # generic designation is used only until an answer names the goods.
            designation={lang: ", ".join(f for f in fragments[lang] if f) or cat.designation[lang] for lang in LANGUAGES},
            disclaimer=self.disclaimer,
            taxonomy_version=self.version,
            research_notice=self.research_notice,
        )


def load_taxonomy_file(path: str | Path) -> Taxonomy:
    """Load and check a taxonomy file; a broken file is refused with a message that says where."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TaxonomyError(f"Taxonomy {path.name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None
    return Taxonomy(doc, path.name)


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The taxonomy shipped in the package (loaded and checked once)."""
    with resources.files("craftvision.taxonomy").joinpath("data", "taxonomy.json").open(encoding="utf-8") as fh:
        doc = json.load(fh)
    return Taxonomy(doc, "taxonomy.json")
