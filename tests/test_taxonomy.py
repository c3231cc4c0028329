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


# ------------------------------------------------------------------------------------------
# Taxonomy v2 (review 2026-12): paths, exits, exclusions, designations, wording
# ------------------------------------------------------------------------------------------

import re

from craftvision.taxonomy.paths import list_paths, paths_csv, paths_json

#: codes the review's section A/B says must be reachable, by category
MUST_REACH = {
    "woodwork": {"9401.61", "9401.69", "7009.92"}, "basketry": {"9401.53", "9401.59", "4601.29"},
    "stone": {"6803.00", "9403.89", "9403.20"}, "pottery": {"6910.90", "6913.90", "6914.90"},
    "metalware": {"7323.93", "7615.10", "7114.11", "9405.41", "9405.42", "9403.20", "7418.10"},
    "textile": {"9404.40", "6302.51", "9404.90"}, "leather": {"6402.99", "6405.90", "4203.10"},
    "carpet": {"5701.10", "5702.10", "5703.10"},
}
SEAT_WORDS = re.compile(r"\b(chairs?|seats?|stools?|benches|bench|sofas?|chaises?|si[eè]ges?|tabourets?|bancs?|canap[eé]s?)\b|كرسي|مقعد",
                        re.I)


def test_version_is_bumped_and_every_review_item_is_decided():
    """Check that the version moved past 2026.12.1 and that every section-A item of the review has a recorded decision."""
    tax = load_taxonomy()
    assert tax.version == "2026.12.2"
    items = {r["item"] for r in tax.review}
    assert {f"A{i}" for i in range(1, 24)} <= items
    assert all(r["why"].strip() and r["decision"] in ("fixed", "partly", "not followed") for r in tax.review)


@pytest.mark.parametrize("cid,codes", sorted(MUST_REACH.items()))
def test_review_codes_are_reachable_from_the_right_category(cid, codes):
    """Check that the codes the review asks for are ends of paths of the right category."""
    reached = {p.code.display for p in list_paths(cid) if p.code}
    assert codes <= reached, codes - reached


def test_no_seat_path_ends_outside_94_01():
    """Check that every path whose option labels (any language) name a chair or seat ends in 94.01 or at a note naming it."""
    tax, n = load_taxonomy(), 0
    for p in list_paths():
        cat = tax.categories[p.category]
        labels = " ".join(v for q, o in p.answers for v in cat.questions[q].options[o].label.values())
        if SEAT_WORDS.search(labels):
            n += 1
            assert (p.code and p.code.code.startswith("9401")) or (p.note and "94.01" in p.note["en"]), p
    assert n >= 10  # seats exist in woodwork, basketry and metalware


def test_every_question_has_an_expert_exit_naming_headings():
    """Check that every question of every category has an option ending at a note that names HS codes."""
    tax = load_taxonomy()
    for cat in tax.categories.values():
        for q in cat.questions.values():
            notes = [o.note for o in q.options.values() if o.note]
            assert notes, (cat.id, q.id)
            assert all(re.search(r"\d{2}\.\d{2}", n["en"]) for n in notes), (cat.id, q.id)


def test_a_question_without_exit_is_refused():
    """Check that the loader refuses a question with no 'I don't know' exit, naming it."""
    bad = _doc()
    del bad["categories"]["carpet"]["questions"]["fibre"]["options"]["unknown"]
    with pytest.raises(TaxonomyError, match=r"categories.carpet.questions.fibre has no way out"):
        Taxonomy(bad)


def test_a_note_naming_a_missing_code_is_refused():
    """Check that a note citing a code that is not in HS 2022 is refused."""
    bad = _doc()
    note = {"en": "Ask an expert: 5799.99.", "fr": "Demandez : 5799.99.", "ar": "استشر: 5799.99."}
    bad["categories"]["carpet"]["questions"]["fibre"]["options"]["unknown"]["note"] = note
    with pytest.raises(TaxonomyError, match=r"names 579999, which is not an HS 2022 code"):
        Taxonomy(bad)


def test_a_seat_path_ending_in_94_03_is_refused():
    """Check the exclusion check: a seat answer leading to a 94.03 code fails at load."""
    bad = _doc()
    bad["categories"]["woodwork"]["questions"]["wood_seat"]["options"]["upholstered"]["code"] = "9403.60"
    bad["categories"]["woodwork"]["subheadings"].remove("9401.61")
    with pytest.raises(TaxonomyError, match=r"labels name a seat .* ends at 940360; a seat belongs to 94.01"):
        Taxonomy(bad)


def test_designation_follows_the_answers():
    """Check that the designation names the goods from the answers, not the category prefix."""
    s = suggest_hs("leather", {"product": "footwear", "upper": "textile", "sole_textile_upper": "leather"})
    assert s.code.display == "6404.20"
    assert s.designation["fr"] == "chaussures, à dessus en textile, semelles en cuir"
    assert "articles en cuir" not in s.designation["fr"]
    palm = suggest_hs("basketry", {"product": "seat", "seat_material": "other"})
    assert palm.code.display == "9401.59" and palm.designation["en"] == "seat, of cane, osier or palm"
    assert suggest_hs("leather").designation["fr"] == "articles en cuir"  # before any answer


def test_declaration_lines_do_not_mix_languages():
    """Check that the French and Arabic declaration lines carry no English description, the English one does."""
    s = suggest_hs("carpet", {"construction": "knotted", "fibre": "wool"})
    assert s.declaration_line("fr") == "tapis noué main, en laine - SH 5701.10"
    assert "Carpets" in s.declaration_line("en") and "Carpets" not in s.declaration_line("ar")


def test_wording_fixes_of_the_review():
    """Check the section-C wording: Arabic synthetic/artificial fibres, onyx, bamboo; the French questions."""
    tax = load_taxonomy()
    scarf = tax.categories["textile"].questions["scarf_fibre"].options
    assert "تركيبية" in scarf["synthetic"].label["ar"] and "اصطناعية" in scarf["artificial"].label["ar"]
    assert "viscose" in scarf["artificial"].label["en"] and "polyester" in scarf["synthetic"].label["en"]
    stone = json.dumps(_doc()["categories"]["stone"], ensure_ascii=False)
    assert "عقيق" not in stone and "رخام أونيكس" in stone
    basket = tax.categories["basketry"].questions["material"].options
    assert basket["bamboo"].label["ar"] == "بامبو" and basket["rattan"].label["ar"] != "خيزران"
    assert tax.categories["zellige"].questions["form"].text["fr"] == "Qu'exportez-vous exactement ?"
    assert "7 cm de côté" in tax.categories["stone"].questions["working"].options["small_tiles"].label["fr"]


def test_paths_json_and_csv_list_every_path():
    """Check the listing formats: one JSON object per path with its keys; CSV with a header and the same count."""
    paths = list_paths()
    rows = json.loads(paths_json(paths, "fr"))
    assert len(rows) == len(paths) > 300
    assert {"category", "answers", "code", "note"} <= set(rows[0])
    assert all((r["code"] is None) != (r["note"] is None) for r in rows)
    chair = [r for r in rows if r["answers"] == [["product", "seat"], ["wood_seat", "not_upholstered"]]]
    assert chair and chair[0]["code"] == "9401.69" and chair[0]["category"] == "woodwork"
    assert len(paths_csv(paths).strip().splitlines()) == len(paths) + 1
    with pytest.raises(TaxonomyError, match=r"Unknown category 'woodworks'"):
        list_paths("woodworks")


def test_every_first_question_has_an_other_or_unknown_exit():
    """Check that the first question of every category with questions offers an exit to a note."""
    tax = load_taxonomy()
    for cat in tax.categories.values():
        if cat.questions:
            first = cat.questions[cat.start]
            assert any(o.note for o in first.options.values()), cat.id


def test_arabic_lists_use_the_arabic_comma():
    """Check that no Arabic text of the taxonomy separates Arabic words with a Latin comma."""
    bad = []

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "ar" and isinstance(v, str) and re.search(r"[\u0600-\u06ff)] ?, ?[\u0600-\u06ff]", v):
                    bad.append(v)
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(_doc())
    assert not bad, bad[:3]


def test_a_note_gives_the_candidates_it_names():
    """Check that a path ending at a note offers the codes and headings that note names, not the whole category."""
    garment = suggest_hs("textile", {"product": "garment"})
    assert garment.candidates == [] and {h.display for h in garment.headings} == {"62.04", "62.11", "62.01", "62.02", "58.10"}
    fibre = suggest_hs("carpet", {"construction": "knotted", "fibre": "unknown"})
    assert [c.display for c in fibre.candidates] == ["5701.10", "5701.90"]
    assert fibre.to_dict("ar")["research_notice"].startswith("الأسئلة والملاحظات")


def test_cli_paths_json_lists_the_review_codes_by_category():
    """Check `craftvision hs paths --format json`: every path, the review's codes in the right categories, no seat outside 94.01."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "craftvision.cli", "hs", "paths", "--format", "json"], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == len(list_paths())
    by_cat = {}
    for row in rows:
        by_cat.setdefault(row["category"], set()).add(row["code"])
    for cid, codes in MUST_REACH.items():
        assert codes <= by_cat[cid], (cid, codes - by_cat[cid])
    assert "research notes" in r.stderr
    table = subprocess.run([sys.executable, "-m", "craftvision.cli", "hs", "paths", "jewelry", "--lang", "ar"],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert table.returncode == 0 and "HS 7113.11" in table.stdout and "فضة" in table.stdout
