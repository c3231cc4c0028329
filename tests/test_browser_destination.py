"""The destination step in a real browser (Playwright driving Debian's headless Chromium).

1. Arabic: a knotted wool rug -> 5701.10 -> the United States: the panel reads right to left, with the
   HTSUS line, the US-Morocco FTA route and the rug rules, every source and date; no untranslated text.
2. French: the same rug -> France, sent with the request; the reviewer opens it and sees France preset.
3. The Model tab in Arabic: a search in Arabic and the decision tree, right to left.
Screenshots in test-artifacts/ (dest-ar.png, dest-fr.png, review-dest-fr.png, model-tree-ar.png).
"""

from __future__ import annotations

import pytest
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)
from test_browser import LEFT_TO_RIGHT_JS, REVIEWER, VISIBLE_TEXT_JS, _click_row, _guard, _login, _open, _page, _shot, _untranslated

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RUG = {"construction": "knotted", "fibre": "wool"}


@pytest.fixture(scope="module")
def app(tiny_model, tmp_path_factory):
    from conftest import start_app

    url, store, demo = start_app(tiny_model, tmp_path_factory.mktemp("destbrowser"), REVIEWER)
    yield url, store, demo
    demo.close()


def _pick(page, destination: str) -> None:
    from craftvision.taxonomy import DESTINATIONS

    page.locator("#dest_pick").wait_for()
    page.locator("#dest_pick label").nth(DESTINATIONS.index(destination)).click()
    page.locator(f"#dest_info .cv-destination[data-destination={destination}]").wait_for()


def _rug_to(page, demo, photo, lang: str, destination: str, early: bool = False) -> None:
    """Upload a photo, choose the rug category, answer knotted + wool and pick `destination` (before the
    answers when `early`: the panel then says the code is pending and follows the answers)."""
    from craftvision_app.i18n import t

    core = demo.core
    page.locator("#photos input[type=file]").set_input_files(str(photo))
    page.locator("#results .cv-fused").wait_for(timeout=60000)
    page.locator("#category input").click()
    page.get_by_role("option", name=core.category_name("carpet", lang), exact=True).click()
    cat = core.taxonomy.categories["carpet"]
    if early:
        page.locator("#question").wait_for()
        _pick(page, destination)
        assert t("dest_code_pending", lang) in page.locator("#dest_info").inner_text()
    for qid, oid in RUG.items():
        page.locator("#question").get_by_text(cat.questions[qid].text[lang], exact=False).first.wait_for()
        page.locator("#question label").filter(has_text=cat.questions[qid].options[oid].label[lang]).first.click()
        page.locator("#answer").click()
    page.locator("#suggestion").get_by_text("5701.10").first.wait_for()
    if early:
        page.locator("#dest_info").get_by_text("5701.10").first.wait_for()
    else:
        _pick(page, destination)


def _panel_checks(page, lang: str, destination: str) -> str:
    """The destination panel's own checks; returns its text."""
    from craftvision.taxonomy import destination_advice

    advice = destination_advice("carpet", "5701.10", destination, lang)
    panel = page.locator("#dest_info .cv-destination")
    text = panel.inner_text()
    assert panel.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    assert page.evaluate("getComputedStyle(document.querySelector('#dest_info .cv-destination')).direction") == panel.get_attribute("dir")
    assert "5701.10" in text and advice.destination_name in text
    for entry in [advice.national_line, advice.export_line, advice.origin, *advice.rules]:
        assert entry.source in text and entry.checked in text
    assert panel.locator("li[data-rule]").count() == len(advice.rules) >= 1
    assert advice.disclaimer in text  # rules change, said plainly
    texts = page.evaluate(VISIBLE_TEXT_JS, None)
    assert not _untranslated(texts, lang), _untranslated(texts, lang)
    return text


def test_destination_step_in_arabic_reads_right_to_left(app, browser, synthetic_data):
    """Check the Arabic destination step for a knotted wool rug to the US: rtl panel, HTSUS, FTA route, rug rules, dates."""
    url, store, demo = app
    page = _page(browser, "ar")
    with _guard(page, "dest-ar"):
        _open(page, url, "ar")
        _rug_to(page, demo, sorted((synthetic_data / "carpet").iterdir())[1], "ar", "us")
        text = _panel_checks(page, "ar", "us")
        assert "HTSUS" in text and "16 CFR 1630" in text and "«MA»" in text
        assert page.evaluate("document.documentElement.dir") == "rtl"
        ltr = page.evaluate(LEFT_TO_RIGHT_JS)
        assert not ltr, ltr
        _shot(page, "dest-ar.png")
        page.locator("#lang label").nth(0).click()  # French: the panel follows the language switch
        page.locator("#dest_info .cv-destination[lang=fr][dir=ltr]").wait_for()
        assert "les États-Unis" in page.locator("#dest_info").inner_text()


def test_destination_step_in_french_travels_to_the_review(app, browser, synthetic_data):
    """Check the French destination step (France: EUR.1, TARIC), sent with the request, preset in the review view."""
    from craftvision_app.destination import artisan_destination

    url, store, demo = app
    page = _page(browser, "fr")
    with _guard(page, "dest-fr"):
        _open(page, url, "fr")
        _rug_to(page, demo, sorted((synthetic_data / "carpet").iterdir())[2], "fr", "fr", early=True)
        text = _panel_checks(page, "fr", "fr")
        assert "TARIC" in text and "EUR.1" in text
        _shot(page, "dest-fr.png")
        page.locator("#send").click()
        page.locator("#sent code").wait_for()
        reference = page.locator("#sent code").inner_text().strip()
        sub = next(store.submission(r["id"]) for r in store.queue() if store.submission(r["id"])["reference"] == reference)
        assert artisan_destination(sub) == "fr" and sub["suggested_code"] == "5701.10"
        page.set_viewport_size({"width": 1280, "height": 1400})
        page.get_by_role("tab", name="Revue douane").click()
        _login(page)
        _click_row(page, sub["id"])
        page.locator("#review_dest_info .cv-destination[data-destination=fr]").wait_for()
        assert page.locator("#review_dest_pick input[value=fr]").is_checked()
        assert "5701.10" in page.locator("#review_dest_info").inner_text()
        page.locator("#review_dest_pick label").nth(0).click()  # compare with the United States
        page.locator("#review_dest_info .cv-destination[data-destination=us]").wait_for()
        assert not _untranslated(page.evaluate(VISIBLE_TEXT_JS, None), "fr")
        _shot(page, "review-dest-fr.png")


def test_model_tab_search_and_tree_in_arabic(app, browser):
    """Check an Arabic search (5701.10 in the top 3) and the decision tree of rugs, right to left, all translated."""
    from craftvision.taxonomy import list_paths
    from craftvision_app.i18n import t

    url, store, demo = app
    page = _page(browser, "ar", width=1280)  # on a phone width the Model tab sits in the tabs' overflow menu
    with _guard(page, "model-ar"):
        _open(page, url, "ar")
        page.get_by_role("tab", name=t("tab_model", "ar")).click()
        page.locator("#search_box textarea, #search_box input").first.fill("زربية صوف معقودة")
        page.locator("#search_btn").click()
        page.locator("#search_hits .cv-hit").first.wait_for()
        top3 = [page.locator("#search_hits .cv-hit").nth(i).get_attribute("data-codes") for i in range(3)]
        assert any("5701.10" in codes.split() for codes in top3), top3
        page.locator("#tree_category input").click()
        page.get_by_role("option", name=demo.core.category_name("carpet", "ar"), exact=True).click()
        page.wait_for_function(f"document.querySelectorAll('#tree_paths tr[data-code]').length === {len(list_paths('carpet'))}")
        assert page.evaluate("getComputedStyle(document.querySelector('#tree_paths .cv-tree')).direction") == "rtl"
        texts = page.evaluate(VISIBLE_TEXT_JS, None)
        assert not _untranslated(texts, "ar"), _untranslated(texts, "ar")
        assert not page.evaluate(LEFT_TO_RIGHT_JS)
        _shot(page, "model-tree-ar.png")
