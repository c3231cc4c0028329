"""The taxonomy's typed objects: options, questions, categories and the suggestion a walk produces."""

from __future__ import annotations

from dataclasses import dataclass

from .nomenclature import HSCode

#: What a declaration line calls the code, per language.
_CODE_PREFIX = {"en": "HS", "fr": "SH", "ar": "النظام المنسق"}


@dataclass(frozen=True)
class Option:
    id: str
    label: dict
    code: str | None = None  # 6 digits
    next: str | None = None
    note: dict | None = None
    designation: dict | None = None


@dataclass(frozen=True)
class Question:
    id: str
    text: dict
    options: dict  # id -> Option
    help: dict | None = None

    def to_dict(self, lang: str = "en") -> dict:
        return {
            "id": self.id,
            "text": self.text[lang],
            "help": self.help[lang] if self.help else None,
            "options": [{"id": o.id, "label": o.label[lang]} for o in self.options.values()],
        }


@dataclass(frozen=True)
class Category:
    id: str
    name: dict
    explanation: dict
    designation: dict
    headings: tuple[str, ...]
    subheadings: tuple[str, ...]
    start: str | None
    questions: dict  # id -> Question


@dataclass
class HSSuggestion:
    """What the answers so far determine for a category.

    Attributes:
        category: the category id.
        headings: the heading(s) still possible, with official descriptions.
        code: the 6-digit subheading, only when the answers determine it.
        candidates: the subheadings still possible (after a note: the subheadings the note names).
        next_question: the next question to answer (None when done).
        note: an explicit "ask an expert" / "needs a lab test" note when the path ends there.
        path: the (question, option) pairs taken, for the audit trail.
        designation: the commercial designation fragments (per language) from category and answers.
        disclaimer: the "suggestion to be confirmed by customs" text (per language).
        research_notice: "the questions and notes are research notes, not rulings" (per language).
    """

    category: str
    headings: list[HSCode]
    code: HSCode | None
    candidates: list[HSCode]
    next_question: Question | None
    note: dict | None
    path: list[tuple[str, str]]
    designation: dict
    disclaimer: dict
    taxonomy_version: str = ""
    research_notice: dict | None = None

    @property
    def complete(self) -> bool:
        return self.code is not None or self.note is not None

    def declaration_line(self, lang: str = "en") -> str | None:
        """A ready-to-copy line: the commercial designation in `lang` and the code.

        The official description is UN Comtrade's English label, so only the English line carries it;
        the French and Arabic lines do not mix in English words.
        """
        if self.code is None:
            return None
        prefix = _CODE_PREFIX[lang]
        line = f"{self.designation[lang]} - {prefix} {self.code.display}"
        return f"{line} - {self.code.description}" if lang == "en" else line

    def to_dict(self, lang: str = "en") -> dict:
        return {
            "category": self.category,
            "headings": [h.to_dict() for h in self.headings],
            "code": self.code.to_dict() if self.code else None,
            "candidates": [c.to_dict() for c in self.candidates],
            "next_question": self.next_question.to_dict(lang) if self.next_question else None,
            "note": self.note[lang] if self.note else None,
            "path": [{"question": q, "answer": a} for q, a in self.path],
            "declaration": {lg: self.declaration_line(lg) for lg in ("en", "fr")} if self.code else None,
            "disclaimer": self.disclaimer[lang],
            "research_notice": self.research_notice[lang] if self.research_notice else None,
            "taxonomy_version": self.taxonomy_version,
        }
