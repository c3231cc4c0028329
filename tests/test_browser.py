"""End-to-end tests in a real browser: Playwright driving Debian's headless Chromium.

1. Two photos of one product that the model reads differently -> one fused category, its
   questions, the disagreeing photo marked; submit; the reviewer opens it by clicking its row and
   corrects it with the keyboard.
2. Every tab in French, Arabic and English: no visible interface string outside the translation
   table, Arabic right-to-left on every tab; screenshots of both tabs in test-artifacts/.
3. A 12 MP phone photo on a throttled 1 Mbit/s link: bytes uploaded and time to the first result,
   sent whole vs shrunk in the browser (printed).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
LOCALES = {"fr": "fr-FR", "ar": "ar", "en": "en-US"}
REVIEWER = ("douane1", "another long password")

# Visible text of the page, leaving out data (file names, HS descriptions, references: .cv-data; the
# names in the upload list) and hidden nodes.
VISIBLE_TEXT_JS = """(root) => {
  const out = [], walker = document.createTreeWalker(root || document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.nodeValue.trim(), el = n.parentElement;
    if (!text || !el || el.closest('script, style, .cv-data, td.filename, [aria-hidden=true]')) continue;
    const style = getComputedStyle(el), box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || style.display === 'none' || !box.width || !box.height) continue;
    out.push(text);
  }
  return out;
}"""
# Visible interface text laid out left to right (data excepted).
LEFT_TO_RIGHT_JS = """() => {
  const out = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.nodeValue.trim() || !el || el.closest('script, style, .cv-data, td.filename, td.download')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.height && getComputedStyle(el).direction !== 'rtl') out.push(n.nodeValue.trim());
  }
  return out;
}"""
# Counts the bytes of every upload the page posts (files and fields of the multipart body).
COUNT_UPLOADS_JS = """() => {
  window.cvSent = [];
  const original = window.fetch;
  window.fetch = function (url, init) {
    if (init && init.body instanceof FormData && String(url).includes('/upload')) {
      let n = 0;
      for (const [, v] of init.body.entries()) n += (typeof v === 'string') ? v.length : v.size;
      window.cvSent.push(n);
    }
    return original.apply(this, arguments);
  };
}"""


@pytest.fixture(scope="module")
def app(tiny_model, tmp_path_factory):
    from conftest import start_app

    url, store, demo = start_app(tiny_model, tmp_path_factory.mktemp("browserdata"), REVIEWER)
    yield url, store, demo
    demo.close()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _page(browser, lang: str, width: int = 420):
    ctx = browser.new_context(viewport={"width": width, "height": 1400}, locale=LOCALES[lang])
    page = ctx.new_page()
    page.set_default_timeout(30000)
    return page


def _open(page, url: str, lang: str):
    from craftvision_app.i18n import t

    page.goto(url)
    page.wait_for_function("window.cvPage !== undefined")  # the page script is installed
    page.locator("#lang label").nth(list(LOCALES).index(lang)).click()
    page.wait_for_function(f"(document.documentElement.dir || 'ltr') === '{'rtl' if lang == 'ar' else 'ltr'}'")
    title = t("title", lang)
    page.wait_for_function(f"document.getElementById('header').innerText.includes({title!r})")


@pytest.fixture(scope="module")
def shipped_app(tmp_path_factory):
    """The app on the shipped model: the tiny test model reads every photo alike (about 1/4 per class),
    so photos that disagree need a model that tells generated rugs from generated tilings."""
    from conftest import start_app
    from craftvision.predictor import default_model_path, load_predictor

    if not default_model_path().exists():
        pytest.skip("no shipped model (models/craftvision.onnx)")
    if load_predictor(default_model_path()).product_decision_rule is None:
        pytest.fail("the shipped model has no product thresholds: run `craftvision calibrate` on it")
    url, store, demo = start_app(default_model_path(), tmp_path_factory.mktemp("shippeddata"), REVIEWER)
    yield url, store, demo
    demo.close()


def _disagreeing_pair(demo, synthetic_data):
    """Two generated photos whose own top categories differ, and the app's own fused analysis of them."""
    core = demo.core
    photos = [p for c in ("carpet", "zellige", "stone") for p in sorted((synthetic_data / c).iterdir())[:4]]
    own = {p: core.analyse([str(p)], "fr")["photos"][0]["categories"][0]["name"] for p in photos}
    for a in photos:
        for b in photos:
            if own[a] != own[b]:
                both = core.analyse([str(a), str(b)], "fr")
                if both["category"]:
                    return [a, b], both
    pytest.fail(f"no two generated photos read differently as crafts: {set(own.values())}")


def _upload(page, paths):
    page.locator("#photos input[type=file]").set_input_files([str(p) for p in paths])
    page.locator("#results .cv-fused").wait_for(timeout=60000)


def _answer_all(page) -> None:
    """Answer each question of the category with its first option until none is left."""
    for _ in range(8):
        if not page.locator("#question").is_visible():
            return
        page.locator("#question label").first.click()
        page.locator("#answer").click()
        page.wait_for_timeout(700)
    pytest.fail("the questions did not end after 8 answers")


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _guard(page, name):
    """Keep a screenshot and the page's HTML when a browser step fails."""
    class Guard:
        def __enter__(self):
            return self

        def __exit__(self, kind, *_):
            if kind is not None:
                _shot(page, f"failure-{name}.png")
                (ARTIFACTS / f"failure-{name}.html").write_text(page.content())
            return False
    return Guard()


def test_two_disagreeing_photos_give_one_answer_and_the_reviewer_corrects_it(shipped_app, browser, synthetic_data):
    """Check one fused category and its questions from two disagreeing photos, the disagreeing one marked, then review."""
    url, store, demo = shipped_app
    pair, expected = _disagreeing_pair(demo, synthetic_data)
    fused = expected["category"]
    page = _page(browser, "fr")
    with _guard(page, "flow"):
        _open(page, url, "fr")
        _upload(page, pair)
        assert page.locator("#results .cv-fused").count() == 1 and page.locator("#results .cv-photo").count() == 2
        assert page.locator("#results img.cv-thumb").count() == 2 and page.locator("#cv-thumbs img").count() == 2
        marked = [p["disagrees"] for p in expected["photos"]]
        assert any(marked)
        for i, flag in enumerate(marked):
            card = page.locator("#results .cv-photo").nth(i)
            assert ("cv-disagree" in card.get_attribute("class")) is flag
            assert (card.locator(".cv-mark").count() == 1) is flag
        name = demo.core.category_name(fused, "fr")
        assert page.locator("#category input").input_value() == name
        first_q = demo.core.suggest(fused, {}, "fr")["next_question"]
        if first_q:
            assert first_q["text"] in page.locator("#question").inner_text()
        _answer_all(page)
        page.locator("#send").click()
        page.locator("#sent code").wait_for()
        reference = page.locator("#sent code").inner_text().strip()
        sub = store.submission(store.queue()[-1]["id"])
        assert sub["reference"] == reference and sub["category"] == fused
        assert [p["source"] for p in sub["prediction"]["photos"]] == [p.name for p in pair]
        _review_with_the_keyboard(page, store, sub["id"], reference)


ROW_OF_JS = """(sid) => {
  for (const cell of document.querySelectorAll('#queue [role=gridcell][data-col="0"]'))
    if (cell.innerText.trim() === String(sid)) return Number(cell.dataset.row);
  return -1;
}"""


def _click_row(page, sid: int) -> None:
    """Click the queue row of submission `sid` (the first column holds the id)."""
    page.wait_for_function(f"({ROW_OF_JS})({sid}) >= 0")
    row = page.evaluate(ROW_OF_JS, sid)
    page.locator(f"#queue [data-testid=cell-{row}-2]").click()
    page.wait_for_function(f"document.querySelector('#detail-body') && document.querySelector('#detail-body').dataset.id === '{sid}'")


def _field(page, elem_id: str):
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first


def _login(page) -> None:
    _field(page, "user").fill(REVIEWER[0])
    _field(page, "password").fill(REVIEWER[1])
    page.locator("#login").click()
    page.locator("#desk").first.wait_for()


def _review_with_the_keyboard(page, store, sid: int, reference: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 1400})
    page.get_by_role("tab", name="Revue douane").click()
    _login(page)
    _click_row(page, sid)
    page.locator("#fix_cat input").click()
    page.get_by_role("option", name="Tapis").click()
    _field(page, "fix_code").fill("5701.90")
    _field(page, "reason").fill("fibre synthétique déclarée")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("k")  # K: correct
    page.wait_for_function("document.getElementById('detail-body').innerText.includes('corrigée')")
    st = store.status(reference)
    assert st.state == "corrected" and st.final_code == "5701.90" and st.final_category == "carpet"
    # the queue was refreshed with its filters: the decided row has left it
    page.wait_for_function(f"({ROW_OF_JS})({sid}) < 0")
    # the sort order chosen is kept in the browser: still chosen after a reload
    page.locator("#f_order label").nth(1).click()
    page.wait_for_timeout(1000)
    page.reload()
    page.get_by_role("tab", name="Revue douane").click()
    _login(page)
    page.wait_for_function("document.querySelectorAll('#f_order input')[1].checked")


def _foreign_texts(lang: str) -> list[str]:
    """Interface texts of the other languages that differ from this language's (placeholder-free pieces)."""
    from craftvision_app.i18n import TEXT

    pieces = set()
    for entry in TEXT.values():
        for other, text in entry.items():
            if other != lang and text != entry[lang]:
                pieces |= {p.strip(" :") for p in re.split(r"{\w+}", text) if len(p.strip(" :")) >= 8}
    own = " | ".join(entry[lang] for entry in TEXT.values())
    return sorted(p for p in pieces if p not in own)


def _untranslated(texts: list[str], lang: str) -> list[str]:
    from craftvision_app.i18n import LANGS

    foreign = _foreign_texts(lang)
    bad = [s for s in texts if any(f in s for f in foreign) and s not in LANGS.values()]
    english = re.compile(r"(?i)\b(the|and|click|upload|drop|here|submit|clear|loading|error|of|to|or)\b")
    if lang != "en":
        bad += [s for s in texts if english.search(s)]
    if lang == "ar":
        bad += [s for s in texts if re.search(r"[A-Za-z]{2,}", s) and s not in LANGS.values()
                and not re.fullmatch(r"[^A-Za-z]*(CSV|KB|MB|API)[^A-Za-z]*", s)]
    else:
        bad += [s for s in texts if re.search(r"[\u0600-\u06FF]", s) and s != LANGS["ar"]]
    return sorted(set(bad))


def _settled_texts(page, quiet_ms: int = 800, timeout_s: float = 60.0) -> list[str]:
    """The visible texts once no event has been running for `quiet_ms`: while one runs, Gradio shows its
    own transient status line ("processing | 0.4s"), which is not the app's text, and chained events
    (results, then the destination panel) can start it again right after a fixed wait."""
    import time

    def busy(texts):
        return any(x.startswith("processing") for x in texts)

    deadline = time.monotonic() + timeout_s
    while True:
        texts = page.evaluate(VISIBLE_TEXT_JS, None)
        if not busy(texts):
            page.wait_for_timeout(quiet_ms)
            again = page.evaluate(VISIBLE_TEXT_JS, None)
            if not busy(again):
                return again
        assert time.monotonic() < deadline, f"the page was still processing after {timeout_s:.0f} s"
        page.wait_for_timeout(200)


def _check_tab(page, tab: str, lang: str) -> None:
    texts = _settled_texts(page)
    assert len(texts) > 5, (tab, texts)
    assert not _untranslated(texts, lang), (tab, lang, _untranslated(texts, lang))
    if lang == "ar":
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate(f"getComputedStyle(document.querySelector('#tab_{tab}')).direction") == "rtl", tab
        ltr = page.evaluate(LEFT_TO_RIGHT_JS)
        assert not ltr, (tab, ltr)


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_every_tab_speaks_the_chosen_language(app, browser, synthetic_data, lang):
    """Check every visible string of every tab against the table, Arabic right-to-left; screenshot both tabs."""
    from craftvision_app.i18n import t

    url, store, demo = app
    photos = [sorted((synthetic_data / c).iterdir())[2] for c in ("carpet", "pottery")]
    page = _page(browser, lang)
    with _guard(page, f"lang-{lang}"):
        _open(page, url, lang)
        _upload(page, photos)
        _check_tab(page, "artisan", lang)
        _shot(page, f"artisan-{lang}.png")
        page.locator("#send").click()
        page.locator("#sent code").wait_for()
        reference = page.locator("#sent code").inner_text().strip()
        page.set_viewport_size({"width": 1280, "height": 1400})  # the other tabs, on a desktop screen
        for tab, key in (("status", "tab_status"), ("model", "tab_model"), ("review", "tab_review")):
            page.get_by_role("tab", name=t(key, lang)).click()
            page.locator(f"#tab_{tab}").wait_for()
            if tab == "status":
                _field(page, "reference").fill(reference)
                page.locator("#check").click()
                page.locator("#status_text .cv-card").wait_for()
            page.wait_for_timeout(400)
            _check_tab(page, tab, lang)
        _login(page)
        _click_row(page, next(q["id"] for q in store.queue() if q["reference"] == reference))
        page.locator("#gallery img").first.wait_for()
        _check_tab(page, "review", lang)
        _shot(page, f"review-{lang}.png")


def _phone_photo(path: Path) -> Path:
    """A 12 MP JPEG as a phone writes it: about 3 MB, stored sideways with EXIF orientation 6."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:3000, 0:4000]
    base = np.stack([(x / 16) % 256, (y / 12) % 256, ((x + y) / 24) % 256], axis=-1)
    pixels = (base + rng.normal(0, 7, base.shape)).clip(0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels).save(path, "JPEG", quality=90, exif=exif.tobytes())
    return path


def _timed_upload(page, url: str, photo: Path, shrink: bool) -> tuple[int, float, str]:
    page.goto(url)
    page.wait_for_function("window.cvPage !== undefined")  # the page script is installed
    page.evaluate(COUNT_UPLOADS_JS)
    page.evaluate(f"window.cvPage.enabled = {str(shrink).lower()}")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 150, "downloadThroughput": 125_000,
                                                   "uploadThroughput": 125_000})  # 1 Mbit/s each way
    t0 = time.perf_counter()
    page.locator("#photos input[type=file]").set_input_files(str(photo))
    page.locator("#results .cv-fused").wait_for(timeout=120_000)
    seconds = time.perf_counter() - t0
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    stored = page.locator("#photos a.download-link").first.get_attribute("href").split("file=", 1)[1]
    return sum(page.evaluate("window.cvSent")), seconds, stored


def test_a_phone_photo_on_a_slow_link_is_shrunk_in_the_browser(app, browser, tmp_path, capsys):
    """Check 5x fewer bytes for a 12 MP photo shrunk in the browser (upright, 1280 px) on 1 Mbit/s; print both runs."""
    from PIL import Image

    url, _, _ = app
    photo = _phone_photo(tmp_path / "IMG_20261201_101010_a_long_phone_file_name.jpg")
    page = _page(browser, "fr")
    with _guard(page, "throttled"):
        full_bytes, full_s, full_path = _timed_upload(page, url, photo, shrink=False)
        small_bytes, small_s, small_path = _timed_upload(page, url, photo, shrink=True)
        _shot(page, "long-file-name-fr.png")  # the thumbnail and a long phone file name on a phone screen
    with Image.open(small_path) as im:
        small_size, small_orientation = im.size, im.getexif().get(0x0112, 1)
    with capsys.disabled():
        print(f"\n12 MP JPEG ({photo.stat().st_size / 1e6:.2f} MB) on 1 Mbit/s: sent whole {full_bytes / 1e3:.0f} KB, "
              f"first result {full_s:.1f} s; shrunk in the browser {small_bytes / 1e3:.0f} KB {small_size[0]}x{small_size[1]}, "
              f"first result {small_s:.1f} s ({full_bytes / small_bytes:.1f}x fewer bytes)")
    assert full_bytes >= photo.stat().st_size and Path(full_path).stat().st_size == photo.stat().st_size
    assert Path(small_path).stat().st_size <= small_bytes and full_bytes >= 5 * small_bytes
    assert small_size == (960, 1280) and small_orientation == 1  # EXIF orientation applied, longest side 1280
    assert small_s < full_s
