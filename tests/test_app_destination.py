"""Tests of the app's destination step, product search and decision tree: the pure renderers and helpers,
then the named endpoints through gradio_client and the destination carried by a submission to the review."""

from __future__ import annotations

import re

import pytest

REVIEWER = ("douane2", "a long password for dest")
RUG_ANSWERS = {"construction": "knotted", "fibre": "wool"}


@pytest.fixture(scope="module")
def core():
    from craftvision.taxonomy import load_taxonomy
    from craftvision_app.core import CraftApp

    class NoModel:  # the renderers and helpers here never run the model
        path = __import__("pathlib").Path("models/none.onnx")

    return CraftApp(NoModel(), None, load_taxonomy())


def test_destination_texts_join_the_one_table_without_overriding_a_key():
    """Check that the destination, tree and search texts are in the app's table, none replacing an existing key."""
    from pathlib import Path

    from craftvision_app import i18n
    from craftvision_app.texts_dest import DEST_TEXT

    assert all(i18n.TEXT[k] is v for k, v in DEST_TEXT.items())
    # the keys the main table itself writes (before it takes in DEST_TEXT) are not among them
    source = Path(i18n.__file__).read_text(encoding="utf-8").split("DEST_TEXT")[0]
    own = set(re.findall(r'^    "([a-z_]+)": \{', source, re.M))
    assert len(own) > 40 and not own & set(DEST_TEXT), own & set(DEST_TEXT)
    assert {f"dest_{d}" for d in ("us", "fr", "es", "other_eu", "other")} <= set(DEST_TEXT)


def test_destination_advice_in_arabic_is_right_to_left_with_sources_and_dates(core):
    """Check the Arabic destination panel: rtl, the national line, FTA route, rug rules, each source and date as data."""
    from craftvision.taxonomy import destination_advice
    from craftvision_app.destination import advise

    out = advise(core, "carpet", "5701.10", "us", "ar")
    advice = destination_advice("carpet", "5701.10", "us", "ar")
    assert out["advice"] == advice.to_dict()
    page = out["html"]
    assert page.startswith('<div class="cv-card cv-destination" dir="rtl" lang="ar" data-destination="us">')
    assert "الولايات المتحدة" in page and '<bdi class="cv-data" lang="en">5701.10</bdi>' in page
    assert "HTSUS" in advice.national_line.text and '<bdi class="cv-data" lang="en">HTSUS</bdi>' in page
    for entry in [advice.national_line, advice.export_line, advice.origin, *advice.rules]:
        assert f'<bdi class="cv-data" lang="en">{entry.checked}</bdi>' in page
    assert len(advice.rules) >= 3 and page.count("<li data-rule=") == len(advice.rules)
    assert advice.disclaimer.split(":")[0] in page  # rules change: the dated data says so
    # outside .cv-data, the Arabic panel holds no Latin word
    bare = re.sub(r'<bdi class="cv-data"[^>]*>.*?</bdi>', "", page)
    assert not re.search(r"[A-Za-z]{2,}", re.sub(r"<[^>]+>", "", bare))


def test_destination_before_the_code_is_known_says_so(core):
    """Check that a destination without a code yet gives the data with 'your HS code' and the pending warning."""
    from craftvision_app.destination import advise
    from craftvision_app.i18n import t

    out = advise(core, "woodwork", "", "fr", "fr")
    assert out["advice"]["code"] is None and t("dest_code_pending", "fr") in out["html"]
    assert "votre code SH" in out["html"] and "TARIC" in out["html"]
    assert advise(core, "woodwork", None, "", "fr") == {"advice": None, "html": None}


def test_a_destination_that_is_not_offered_is_refused_in_the_users_language(core):
    """Check that an unknown destination or a missing category gives a translated message naming the choices."""
    from craftvision_app.destination import advise
    from craftvision_app.errors import AppMessage

    with pytest.raises(AppMessage, match=r"^Choisissez une destination parmi celles proposées\. \(us, fr, es, other_eu, other; 'mars'\)"):
        advise(core, "carpet", "5701.10", "mars", "fr")
    with pytest.raises(AppMessage, match="^Analyse a photo first"):
        advise(core, "", "5701.10", "us", "en")


def test_the_destination_travels_with_the_submission(core):
    """Check that the artisan's destination is added to the submitted analysis and read back from a stored one."""
    from craftvision_app.core import stored_prediction
    from craftvision_app.destination import artisan_destination, reviewed_category_and_code, with_destination

    analysis = {"categories": [{"name": "carpet", "probability": 0.9}], "photos": [], "uploads": [["a.jpg", "/tmp/a.jpg"]]}
    stored = stored_prediction(with_destination(analysis, "es"))
    assert artisan_destination({"prediction": stored}) == "es"
    assert "artisan_destination" not in with_destination(analysis, None)
    assert artisan_destination({"prediction": {"artisan_destination": "atlantis"}}) is None
    sub = {"category": "woodwork", "suggested_code": "9403.60",
           "history": [{"final_category": "woodwork", "final_code": "9401.69"}, {"final_category": None, "final_code": None}]}
    assert reviewed_category_and_code(sub) == ("woodwork", "9401.69")


def test_search_ranks_the_chair_first_and_says_what_is_left(core):
    """Check that 'chaise en bois' shows 9401.69 in the top 3 with the upholstery question still to answer, in French."""
    from craftvision_app.tree import search_html

    out = search_html(core, "chaise en bois", "fr")
    top3 = [c for h in out["hits"][:3] for c in h["codes"]]
    assert "9401.69" in top3
    assert "Reste à répondre" in out["html"] and "rembourré" in out["html"]
    arabic = search_html(core, "زربية صوف معقودة", "ar")
    assert "5701.10" in [c for h in arabic["hits"][:3] for c in h["codes"]] and 'dir="rtl"' in arabic["html"]


def test_search_with_no_words_or_no_match_gives_a_clear_message(core):
    """Check that an empty query is refused in the user's language and a nonsense one says nothing matches."""
    from craftvision_app.errors import AppMessage
    from craftvision_app.tree import search_html

    with pytest.raises(AppMessage, match="^اكتب أولا بضع كلمات"):
        search_html(core, "   ", "ar")
    out = search_html(core, "qwxzv", "en")
    assert out["hits"] == [] and out["html"].startswith('<p class="cv-warn" dir="auto">Nothing matches these words')
    assert "qwxzv" in out["message"]


def test_decision_tree_lists_every_path_of_the_category(core):
    """Check that the tree view has one row per path of list_paths, with 9401.61 and 9401.69 for woodwork."""
    from craftvision.taxonomy import list_paths
    from craftvision_app.tree import tree_html

    page = tree_html(core, "woodwork", "en")
    paths = list_paths("woodwork")
    assert page.count("<tr data-code=") == len(paths) > 10
    codes = re.findall(r'<tr data-code="([0-9.]*)"', page)
    assert codes == [p.to_dict()["code"] or "" for p in paths] and {"9401.61", "9401.69", "7009.92"} <= set(codes)
    assert page.count("Ask an expert:") == sum(1 for p in paths if p.code is None) > 0  # each note once, not twice
    assert tree_html(core, "", "en") == ""


# ---------------------------------------------------------------------------------------- through the API
@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory):
    from conftest import start_app

    url, store, demo = start_app(tiny_model, tmp_path_factory.mktemp("destdata"), REVIEWER)
    yield url, store, demo
    demo.close()


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server[0], verbose=False)


@pytest.mark.slow
def test_destination_endpoint_gives_dated_data_and_translated_errors(client):
    """Check /destination for a rug to the US in French, and its refusals of an unknown destination and code."""
    from gradio_client.exceptions import AppError

    out = client.predict("carpet", "5701.10", "us", "fr", api_name="/destination")
    advice = out["advice"]
    assert advice["code"] == "5701.10" and advice["destination"] == "us" and advice["lang"] == "fr"
    assert "HTSUS" in advice["national_line"]["text"] and "MA" in advice["origin"]["text"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", e["checked"]) for e in [advice["origin"], *advice["rules"]])
    assert any("1630" in r["source"] for r in advice["rules"])
    assert out["html"].startswith('<div class="cv-card cv-destination" dir="ltr" lang="fr"')
    with pytest.raises(AppError, match="Choisissez une destination"):
        client.predict("carpet", "5701.10", "", "fr", api_name="/destination")
    with pytest.raises(AppError, match="Ce code SH n'est pas valide"):
        client.predict("carpet", "5701.99", "us", "fr", api_name="/destination")
    with pytest.raises(AppError, match="Cette catégorie est inconnue.*Did you mean 'carpet'"):
        client.predict("carpte", "", "us", "fr", api_name="/destination")


@pytest.mark.slow
def test_search_and_paths_endpoints(client):
    """Check /search for 'copper tray' (7418.10 in the top 3) and /paths for woodwork (the hs paths JSON)."""
    from craftvision.taxonomy import list_paths

    hits = client.predict("copper tray", "en", api_name="/search")["hits"]
    assert "7418.10" in [c for h in hits[:3] for c in h["codes"]]
    rows = client.predict("woodwork", "en", api_name="/paths")
    assert rows == [p.to_dict("en") for p in list_paths("woodwork")]


@pytest.mark.slow
def test_submitted_destination_reaches_the_review(server, synthetic_data):
    """Check that a destination chosen before sending is stored with the submission and read back for review."""
    from craftvision_app.destination import artisan_destination, with_destination

    _, store, demo = server
    core = demo.core
    analysis = core.analyse([str(sorted((synthetic_data / "carpet").iterdir())[0])], "fr")
    ref = core.submit(with_destination(analysis, "us"), "carpet", {"construction": "knotted", "fibre": "wool"}, "", "", "fr")
    sub = next(store.submission(r["id"]) for r in store.queue() if store.submission(r["id"])["reference"] == ref)
    assert artisan_destination(sub) == "us" and sub["suggested_code"] == "5701.10"


def test_quoted_markings_stay_verbatim_as_data(core):
    """Check that a marking to print as is (« FLAMMABLE ... », « Made in Morocco ») is data in French, escaped."""
    from craftvision_app.dest_render import text_html
    from craftvision_app.destination import advise

    page = advise(core, "carpet", "5701.10", "us", "fr")["html"]
    assert re.search(r'« <bdi class="cv-data" lang="en">FLAMMABLE \(FAILS U\.S\. [^<]*</bdi> »', page)
    assert '« <bdi class="cv-data" lang="en">Made in Morocco</bdi> »' in page
    assert text_html("« a<b » & c", "fr") == '« <bdi class="cv-data" lang="en">a&lt;b</bdi> » &amp; c'


def test_destination_texts_are_escaped_in_every_language():
    """Check that a destination text holding markup is escaped in the panel (French and Arabic), never passed as HTML."""
    from craftvision.taxonomy import destination_advice
    from craftvision_app.dest_render import render_advice

    for lang in ("fr", "ar"):
        a = destination_advice("carpet", "5701.10", "us", lang)
        a.rules[0] = type(a.rules[0])("x", "<script>alert(1)</script> & co", "s", "2026-12-01", "read")
        page = render_advice(a)
        assert "<script" not in page and "</script" not in page and "&lt;" in page and "&amp;" in page
        assert f'dir="{"rtl" if lang == "ar" else "ltr"}"' in page


@pytest.mark.slow
def test_submit_endpoint_carries_the_destination_to_the_reviewer(client, synthetic_data):
    """Check that /submit with destination 'es' gives a submission whose /submission shows it, and a wrong one is refused."""
    import json

    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    photo = handle_file(str(sorted((synthetic_data / "carpet").iterdir())[3]))
    ref = client.predict([photo], "carpet", json.dumps(RUG_ANSWERS), "", "", "fr", "es", api_name="/submit")
    token = client.predict(*REVIEWER, "fr", api_name="/login")
    row = next(r for r in client.predict(token, "", "", "oldest", "fr", api_name="/queue") if r["reference"] == ref)
    sub = client.predict(token, row["id"], "fr", api_name="/submission")
    assert sub["prediction"]["artisan_destination"] == "es" and sub["suggested_code"] == "5701.10"
    with pytest.raises(AppError, match="Choisissez une destination"):
        client.predict([photo], "carpet", "{}", "", "", "fr", "mars", api_name="/submit")
