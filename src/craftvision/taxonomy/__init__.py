"""HS 2022 nomenclature, the craft taxonomy and question-driven code suggestion."""

from .nomenclature import HSCode, LookupResult, Nomenclature, hs2017, hs2022, lookup, normalize_code, search
from .taxonomy import Category, HSSuggestion, Option, Question, Taxonomy, load_taxonomy, load_taxonomy_file


def suggest_hs(category: str, answers: dict | None = None) -> HSSuggestion:
    """Suggest an HS code for a category given the answers so far (see `Taxonomy.suggest`)."""
    return load_taxonomy().suggest(category, answers)


__all__ = [
    "Category", "HSCode", "HSSuggestion", "LookupResult", "Nomenclature", "Option", "Question", "Taxonomy",
    "hs2017", "hs2022", "load_taxonomy", "load_taxonomy_file", "lookup", "normalize_code", "search", "suggest_hs",
]
