"""Tests of craftvision.taxonomy: checked data, every answer path, lookups, search, suggestions."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from craftvision.errors import AnswerError, HSCodeError, TaxonomyError
from craftvision.taxonomy import Taxonomy, hs2022, load_taxonomy, lookup, search, suggest_hs

CATEGORIES = {"zellige", "carpet", "pottery", "stone", "leather", "metalware", "woodwork", "basketry", "jewelry",
              "textile", "not_a_craft"}


def _doc():
    with resources.files("craftvision.taxonomy").joinpath("data", "taxonomy.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def test_every_category_is_there():
    """Check that the taxonomy has exactly the categories the model predicts."""
    assert set(load_taxonomy().categories) == CATEGORIES


def test_every_answer_path_ends_at_an_existing_code_or_a_note():
    """Check that every path of every category ends at a 6-digit HS 2022 subheading or an expert note."""
    tax, nom = load_taxonomy(), hs2022()
    n_paths = 0
    for cid, cat in tax.categories.items():
        reached = set()
        for answers, final in tax.answer_paths(cid):
            n_paths += 1
            s = tax.suggest(cid, answers)
            assert s.complete and s.next_question is None
            if final.code:
                assert s.code is not None and s.code.level == 6 and s.code.code in nom
                assert nom.codes[s.code.code].description == s.code.description
                assert s.code.code[:4] in cat.headings
                assert s.declaration_line("fr") and s.declaration_line("en")
                reached.add(s.code.code)
            else:
                assert s.code is None and s.note and all(s.note[l] for l in ("en", "fr", "ar"))
        assert reached == set(cat.subheadings), cid
    assert n_paths > 100


def test_every_label_has_three_languages():
    """Check that every user-facing text exists in English, French and Arabic."""
    tax = load_taxonomy()
    for cat in tax.categories.values():
        texts = [cat.name, cat.explanation]
        for q in cat.questions.values():
            texts += [q.text] + ([q.help] if q.help else [])
            for o in q.options.values():
                texts += [o.label] + ([o.note] if o.note else []) + ([o.designation] if o.designation else [])
        for t in texts:
            assert set(t) == {"en", "fr", "ar"} and all(t[lg].strip() for lg in t), t
            assert any("\u0600" <= ch <= "\u06ff" for ch in t["ar"]), t["ar"]


def test_carpet_knotted_wool_is_5701_10():
    """Check the documented example: knotted + wool -> 5701.10 with its official description."""
    s = suggest_hs("carpet", {"construction": "knotted", "fibre": "wool"})
    assert s.code.display == "5701.10"
    assert s.code.description.startswith("Carpets and other textile floor coverings; knotted, of wool")
    assert s.path == [("construction", "knotted"), ("fibre", "wool")]


def test_no_answers_gives_headings_and_first_question():
    """Check that without answers the headings and the first question come back, and no 6-digit code."""
    s = suggest_hs("carpet")
    assert s.code is None and {h.display for h in s.headings} >= {"57.01", "57.02"}
    assert s.next_question.id == "construction"
    half = suggest_hs("carpet", {"construction": "knotted"})
    assert [c.display for c in half.candidates] == ["5701.10", "5701.90"] and half.next_question.id == "fibre"


def test_wrong_answers_list_the_valid_ones():
    """Check that a wrong option or question is an error listing what is valid."""
    with pytest.raises(AnswerError, match=r"'silk' is not an answer to 'fibre'; valid answers: wool, other, unknown"):
        suggest_hs("carpet", {"construction": "knotted", "fibre": "silk"})
    with pytest.raises(AnswerError, match=r"has no question 'colour'"):
        suggest_hs("carpet", {"colour": "red"})
    with pytest.raises(TaxonomyError, match=r"Unknown category 'carpets'.*Did you mean 'carpet'"):
        suggest_hs("carpets")


@pytest.mark.parametrize("text", ["6907.23", "690723", "6907 23"])
def test_lookup_formats(text):
    """Check that the usual ways of writing a subheading are accepted."""
    r = lookup(text)
    assert r.code.display == "6907.23" and r.code.level_name == "subheading"
    assert [p.display for p in r.parents] == ["69", "69.07"]


def test_lookup_heading_and_errors():
    """Check heading lookup, the nearest-code suggestion for unknown codes, and malformed input."""
    assert lookup("69.07").code.level_name == "heading"
    with pytest.raises(HSCodeError, match=r"9999.99 does not exist in HS 2022.*Nearest existing codes: 97"):
        lookup("9999.99")
    with pytest.raises(HSCodeError, match=r"is not an HS code"):
        lookup("69071")


@pytest.mark.parametrize("old,expected", [
    ("9405.10", {"9405.11", "9405.19"}), ("4420.10", {"4420.11", "4420.19"}),
    ("9705.00", {"9705.10", "9705.21", "9705.22", "9705.29"}), ("7419.99", {"7419.20", "7419.80"}),
    ("6908.10", {"6907.30", "6907.40"}), ("6908.90", {"6907.21", "6907.22", "6907.23"}),
])
def test_older_codes_give_hs2022_candidates(old, expected):
    """Check that codes HS 2022 changed (and HS 2012 glazed tiles) answer with HS 2022 candidates."""
    r = lookup(old)
    assert r.code is None and r.older is not None
    assert expected <= {c.display for c in r.older["candidates"]}


def test_search_ranks_keywords_in_english_and_french():
    """Check that keyword search finds carpets, tiles and marble articles, French words included."""
    assert search("wool carpet")[0][0].display == "5701.10"
    assert {c.display[:5] for c, _ in search("tapis", 5)} & {"57.01", "57.02"}
    assert any(c.display.startswith("6802") for c, _ in search("marble articles", 5))
    assert any(c.display.startswith(("69.12", "6912")) for c, _ in search("tajine", 3))


def test_broken_taxonomy_files_are_refused_with_where():
    """Check that a bad code, a missing language, an unknown key and a loop are refused, saying where."""
    doc = _doc()
    bad = copy.deepcopy(doc)
    bad["categories"]["carpet"]["questions"]["fibre"]["options"]["wool"]["code"] = "5701.11"
    with pytest.raises(TaxonomyError, match=r"categories.carpet.questions.fibre.options.wool: '5701.11' does not exist"):
        Taxonomy(bad)
    bad = copy.deepcopy(doc)
    del bad["categories"]["pottery"]["name"]["ar"]
    with pytest.raises(TaxonomyError, match=r"categories.pottery.name has no 'ar' text"):
        Taxonomy(bad)
    bad = copy.deepcopy(doc)
    bad["categories"]["stone"]["questions"]["fossil"]["optoins"] = {}
    with pytest.raises(TaxonomyError, match=r"unknown key 'optoins'.*did you mean 'options'"):
        Taxonomy(bad)
    bad = copy.deepcopy(doc)
    bad["categories"]["carpet"]["questions"]["fibre"]["options"]["other"] = {"label": "@unsure", "next": "construction"}
    with pytest.raises(TaxonomyError, match=r"the questions loop|no answer leads there"):
        Taxonomy(bad)
    bad = copy.deepcopy(doc)
    bad["categories"]["carpet"]["headings"] = ["5701"]
    with pytest.raises(TaxonomyError, match=r"subheading 570210 is not under the headings"):
        Taxonomy(bad)


def test_taxonomy_file_with_invalid_json(tmp_path):
    """Check that invalid JSON is refused with its line and column."""
    from craftvision.taxonomy import load_taxonomy_file

    p = tmp_path / "t.json"
    p.write_text('{"version": 1,\n "categories": }')
    with pytest.raises(TaxonomyError, match=r"invalid JSON at line 2"):
        load_taxonomy_file(p)
