"""Tests of craftvision.taxonomy.destinations: checked, dated data after the HS code, and its renderers."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from importlib import resources

import pytest

from craftvision.errors import HSCodeError, TaxonomyError
from craftvision.taxonomy import load_taxonomy
from craftvision.taxonomy.destinations import (DESTINATIONS, check_destinations, destination_advice, load_destinations,
                                               render_text)


def _doc():
    with resources.files("craftvision.taxonomy").joinpath("data", "destinations.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def _ids(advice) -> set[str]:
    return {r.id for r in advice.rules}


def test_carpet_to_the_us_has_htsus_fta_and_rug_rules():
    """Check knotted wool carpet -> US: HTSUS lookup from 5701.10, the FTA claim, flammability, labelling, yarn forward."""
    a = destination_advice("carpet", "5701.10", "us", "en")
    assert "HTSUS" in a.national_line.text and "5701.10" in a.national_line.text and "never adds" in a.national_line.text
    assert '"MA"' in a.origin.text and "directly" in a.origin.text and "yarn-forward" in a.origin.text
    assert {"us_rug_flammability", "us_textile_labelling", "us_fta_yarn_forward", "us_origin_marking"} <= _ids(a)
    assert "us_lacey_act" not in _ids(a) and "eu_textile_labelling" not in _ids(a)
    assert "ADII" in a.export_line.text or "ADIL" in a.export_line.text


@pytest.mark.parametrize("dest", ["fr", "es", "other_eu"])
def test_eu_destinations_have_taric_and_pan_euro_med_proof(dest):
    """Check the EU route: CN/TARIC lookup, EUR.1 / EUR-MED or invoice declaration up to EUR 6,000."""
    a = destination_advice("leather", "4202.21", dest, "fr")
    assert "TARIC" in a.national_line.text and "EUR.1" in a.origin.text and "6 000" in a.origin.text
    assert "eu_leather_chromium" in _ids(a) and "eu_footwear_labelling" not in _ids(a)  # a handbag is not footwear


def test_rules_follow_the_code():
    """Check that code-narrowed rules apply only to their codes: CE only for electric luminaires, 109.16 for ornaments."""
    assert "eu_electric_luminaires" in _ids(destination_advice("metalware", "9405.19", "fr"))
    assert "eu_electric_luminaires" not in _ids(destination_advice("metalware", "9405.50", "fr"))  # candle lantern
    assert "us_decorative_ceramics" in _ids(destination_advice("pottery", "6913.90", "us"))
    assert "us_decorative_ceramics" not in _ids(destination_advice("pottery", "6912.00", "us"))
    assert "fossil_export_permit" in _ids(destination_advice("stone", "9705.22", "other"))


def test_every_entry_has_source_date_and_three_languages():
    """Check the shipped data: every destination and rule has a source, a checked date, a basis and en/fr/ar text."""
    doc = load_destinations()
    entries = [doc["export_line"]] + [d[k] for d in doc["destinations"].values() for k in ("national_line", "origin")] + doc["rules"]
    for e in entries:
        assert e["source"].strip() and len(e["checked"]) == 10 and e["basis"] in ("read", "reference")
        assert all(e["text"][lg].strip() for lg in ("en", "fr", "ar"))
    assert sorted(doc["destinations"]) == sorted(DESTINATIONS)


@pytest.mark.parametrize("change,message", [
    (lambda d: d["rules"][0]["categories"].append("spaceships"), r"unknown category 'spaceships'"),
    (lambda d: d["rules"][0]["text"].pop("ar"), r"rules\[0\] \(eu_food_contact_ceramics\).text has no 'ar' text"),
    (lambda d: d["rules"][1].update(source=""), r"has no source"),
    (lambda d: d["rules"][1].pop("checked"), r"needs a 'checked' date"),
    (lambda d: d["rules"][1].update(checked="2999-01-01"), r"in the future"),
    (lambda d: d["destinations"].pop("es"), r"must be exactly"),
    (lambda d: d["rules"][0].update(codes=["6999"]), r"HS prefix '6999'"),
])
def test_broken_destination_data_is_refused(change, message):
    """Check that an unknown category, a missing language, source or date, or a bad code prefix fail at load."""
    doc = copy.deepcopy(_doc())
    change(doc)
    with pytest.raises(TaxonomyError, match=message):
        check_destinations(doc, load_taxonomy().categories)


def test_bad_arguments_are_clear_errors():
    """Check unknown destination, unknown category and a code that is not a subheading."""
    with pytest.raises(TaxonomyError, match=r"Unknown destination 'mars'"):
        destination_advice("carpet", "5701.10", "mars")
    with pytest.raises(TaxonomyError, match=r"Unknown category 'carpets'"):
        destination_advice("carpets", "5701.10", "us")
    with pytest.raises(TaxonomyError, match=r"not an HS 2022 subheading"):
        destination_advice("carpet", "57.01", "us")
    with pytest.raises(HSCodeError, match=r"is not an HS code"):
        destination_advice("carpet", "5701.1", "us")


def test_without_a_code_the_text_says_your_code():
    """Check that before the code is known no digits are shown and code-narrowed rules are left out."""
    a = destination_advice("carpet", None, "us", "en")
    assert a.code is None and "your HS code" in a.national_line.text
    assert "us_rug_flammability" not in _ids(a) and "us_textile_labelling" in _ids(a)


def test_text_rendering_names_each_source_and_date():
    """Check the CLI's text: every entry's source and check date, and the data version."""
    a = destination_advice("carpet", "5701.10", "us", "en")
    out = render_text(a)
    for entry in [a.national_line, a.export_line, a.origin, *a.rules]:
        assert entry.source in out and entry.checked in out
    assert f"[{a.data_version}]" in out


def test_cli_suggest_with_destination_us():
    """Check the issue's example: suggest carpet knotted wool --destination us prints 5701.10, HTSUS, FTA and rug rules with dates."""
    r = subprocess.run([sys.executable, "-m", "craftvision.cli", "hs", "suggest", "carpet", "--answer", "construction=knotted",
                        "--answer", "fibre=wool", "--destination", "us", "--no-input"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    for text in ("HS 5701.10", "HTSUS", "hts.usitc.gov", "US-Morocco Free Trade Agreement", "16 CFR 1630", "yarn",
                 "2026-12-01", "Rules change"):
        assert text in r.stdout, text


def test_cli_offers_exactly_the_data_destinations():
    """Check that the CLI's --destination choices are the destinations the data defines."""
    from craftvision.cli.hs import DESTINATIONS as CLI_DESTINATIONS

    assert tuple(CLI_DESTINATIONS) == DESTINATIONS
