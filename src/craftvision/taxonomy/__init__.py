"""HS 2022 nomenclature, the craft taxonomy, question-driven code suggestion, path listing, text search
and the destination step after the code."""

from .nomenclature import HSCode, LookupResult, Nomenclature, hs2017, hs2022, lookup, normalize_code, search
from .taxonomy import Category, HSSuggestion, Option, Question, Taxonomy, load_taxonomy, load_taxonomy_file
from .paths import AnswerPath, list_paths
from .textsearch import SearchHit, search_products
from .destinations import DESTINATIONS, DestinationAdvice, destination_advice


def suggest_hs(category: str, answers: dict | None = None) -> HSSuggestion:
    """Suggest an HS code for a category given the answers so far (see `Taxonomy.suggest`)."""
    return load_taxonomy().suggest(category, answers)


__all__ = [
    "AnswerPath", "Category", "DESTINATIONS", "DestinationAdvice", "HSCode", "HSSuggestion", "LookupResult", "Nomenclature",
    "Option", "Question", "SearchHit", "Taxonomy", "destination_advice", "hs2017", "hs2022", "list_paths", "load_taxonomy",
    "load_taxonomy_file", "lookup", "normalize_code", "search", "search_products", "suggest_hs",
]
