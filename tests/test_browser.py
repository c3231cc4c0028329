"""End-to-end test in a real browser: Playwright driving Debian's headless Chromium.

Uploads a photo, answers the questions, submits, switches to Arabic, logs in as a reviewer,
corrects the submission and exports. Screenshots go to test-artifacts/ (French and Arabic
artisan views, review queue).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def app_url(tiny_model, tmp_path_factory):
    from conftest import start_app

    url, store, demo = start_app(tiny_model, tmp_path_factory.mktemp("browserdata"), ("douane1", "another long password"))
    yield url, store
    demo.close()


@pytest.fixture(scope="module")
def page():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        ctx = browser.new_context(viewport={"width": 420, "height": 1400})  # a phone-sized window
        pg = ctx.new_page()
        pg.set_default_timeout(30000)
        yield pg
        browser.close()


def test_artisan_and_reviewer_in_a_browser(app_url, page, synthetic_data):
    """Check the whole flow a person follows, in French then Arabic, then as a customs reviewer."""
    try:
        _flow(app_url, page, synthetic_data)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
        (ARTIFACTS / "failure.html").write_text(page.content())
        raise


def _flow(app_url, page, synthetic_data):
    url, store = app_url
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(url)
    page.locator("#photos input[type=file]").set_input_files(str(next((synthetic_data / "carpet").iterdir())))
    page.wait_for_timeout(1000)
    page.locator("#analyse").click()
    page.locator("#results .cv-card").first.wait_for()
    # choose the carpet category explicitly (the tiny test model is not trained to be right)
    page.locator("#category input").click()
    page.get_by_role("option", name="Tapis").click()
    page.locator("#question").wait_for()
    for option in ("Velours noué", "Laine ou poils fins"):
        page.locator("#question label", has_text=option).click()
        page.locator("#answer").click()
        page.wait_for_timeout(800)
    decl = page.locator("#declaration textarea")
    decl.wait_for()
    assert "5701.10" in decl.input_value() and "tapis" in decl.input_value()
    page.screenshot(path=str(ARTIFACTS / "artisan-fr.png"), full_page=True)
    page.locator("#send").click()
    page.locator("#sent").get_by_text("Envoyé").wait_for()
    reference = page.locator("#sent code").first.inner_text().strip()
    assert len(reference) >= 22

    page.locator("#lang label", has_text="العربية").click()
    page.wait_for_function("document.documentElement.dir === 'rtl'")
    page.get_by_text("من المنتج الحرفي إلى رمز النظام المنسق").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "artisan-ar.png"), full_page=True)
    page.locator("#lang label", has_text="Français").click()

    page.set_viewport_size({"width": 1280, "height": 1600})  # the customs desk: a desktop screen
    page.get_by_role("tab", name="Revue douane").click()
    page.locator("#user input, #user textarea").first.fill("douane1")
    page.locator("#password input").fill("another long password")
    page.locator("#login").click()
    page.locator("#refresh").click()
    page.wait_for_function("document.getElementById('queue') && document.getElementById('queue').innerText.includes('5701.10')")
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)
    sid = store.queue()[0]["id"]
    page.locator("#sub_id input").fill(str(sid))
    page.locator("#open").click()
    page.wait_for_function("document.getElementById('detail').innerText.includes('pending')")
    page.locator("#action label", has_text="Corriger").click()
    page.locator("#fix_code input, #fix_code textarea").first.fill("5701.90")
    page.locator("#reason input, #reason textarea").first.fill("fibre synthétique déclarée")
    page.locator("#decide").click()
    page.wait_for_function("document.getElementById('detail').innerText.includes('corrected')")
    page.locator("#export_csv").click()
    page.locator('a[download="decisions.csv"]').first.wait_for()
    st = store.status(reference)
    assert st.state == "corrected" and st.final_code == "5701.90"
    assert "douane1" in store.export_decisions_csv()
