"""Tests of the Gradio app through gradio_client: every named endpoint, one product from several photos,
one model pass per photo per submission, translated messages, server-side upload limits."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

pytestmark = pytest.mark.slow

ENDPOINTS = ("/predict", "/predict_product", "/suggest", "/submit", "/status", "/login", "/queue", "/submission",
             "/decide", "/export", "/destination", "/search", "/paths")


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory):
    """The app on the tiny model, with a fresh store and one reviewer, on a loopback port."""
    from conftest import start_app

    url, store, demo = start_app(tiny_model, tmp_path_factory.mktemp("appdata"), ("reviewer1", "a long password 123"),
                                 max_photos=3, max_photo_mb=1)
    yield url, store, demo
    demo.close()


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server[0], verbose=False)


@pytest.fixture()
def photos(synthetic_data):
    """Three photos of different generated classes (the tiny model tells them apart only roughly)."""
    return [sorted((synthetic_data / c).iterdir())[0] for c in ("carpet", "pottery", "stone")]


def _counting(predictor, monkeypatch) -> list[int]:
    """Record the batch size of every model pass the predictor makes."""
    seen, run = [], predictor.run

    def counted(batch, *args, **kwargs):
        seen.append(len(batch))
        return run(batch, *args, **kwargs)

    monkeypatch.setattr(predictor, "run", counted)
    return seen


def test_every_named_endpoint_exists(client):
    """Check that the API lists exactly the named endpoints, none of the page's private ones."""
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert names == set(ENDPOINTS)


def test_predict_product_fuses_three_photos(client, photos):
    """Check that /predict_product gives one fused ranking and decision, each photo's own answer in input order."""
    from gradio_client import handle_file

    res = client.predict([handle_file(str(p)) for p in photos], "en", api_name="/predict_product")
    assert [p["source"] for p in res["photos"]] == [p.name for p in photos]
    assert res["decision"] in ("accept", "review", "not_a_craft") and res["model_version"]
    fused = [c["probability"] for c in res["categories"]]
    assert fused == sorted(fused, reverse=True) and 0 < sum(fused) <= 1 + 1e-6
    assert len(res["disagrees"]) == 3
    for p, disagrees in zip(res["photos"], res["disagrees"]):
        assert p["categories"] and p["disagrees"] is disagrees
        assert disagrees == (p["categories"][0]["name"] != res["categories"][0]["name"])
        assert "thumb" not in p and "path" not in p
        assert 0.0 <= p["quality"]["product_share"] <= 1.0  # the far-away hint is measured on each photo's class map
    one = client.predict([handle_file(str(photos[0]))], "en", api_name="/predict")
    assert one["photos"][0]["source"] == photos[0].name and one["photos"][0]["decision"] in ("accept", "review", "not_a_craft")


def test_full_loop_through_the_api(client, server, photos, monkeypatch):
    """Check suggest -> submit (one model pass per photo) -> status -> login -> queue -> submission -> correct -> exports."""
    from gradio_client import handle_file

    demo = server[2]
    answers = json.dumps({"construction": "knotted", "fibre": "wool"})
    s = client.predict("carpet", answers, "fr", api_name="/suggest")
    assert s["code"]["code"] == "5701.10" and "tapis" in s["declaration"]["fr"]
    passes = _counting(demo.core.predictor, monkeypatch)
    ref = client.predict([handle_file(str(p)) for p in photos[:2]], "carpet", answers, "tapis berbère", "+212600000000", "fr",
                         api_name="/submit")
    assert sum(passes) == 2  # two photos, each through the model once
    assert len(ref) >= 22  # 24 random bytes, URL-safe base64: at least 128 bits
    st = client.predict(ref, "fr", api_name="/status")
    assert st["state"] == "pending" and st["state_text"] == "En attente d'un agent de revue douanière"

    token = client.predict("reviewer1", "a long password 123", "en", api_name="/login")
    queue = client.predict(token, "", "", "oldest", "en", api_name="/queue")
    sid = next(q["id"] for q in queue if q["reference"] == ref)
    sub = client.predict(token, sid, "en", api_name="/submission")
    stored = sub["prediction"]
    assert [p["source"] for p in stored["photos"]] == [photos[0].name, photos[1].name] and len(stored["disagrees"]) == 2
    assert all("path" not in p for p in sub["photos"])
    sub = client.predict(token, sid, "correct", "carpet", "5701.90", "pile is synthetic", "en", api_name="/decide")
    assert sub["status"] == "corrected" and sub["history"][-1]["reviewer"] == "reviewer1"
    st = client.predict(ref, "en", api_name="/status")
    assert st["state"] == "corrected" and st["final_code"] == "5701.90"
    assert st["state_text"].startswith("Checked by a customs reviewer")

    rows = list(csv.DictReader(io.StringIO(open(client.predict(token, "csv", "en", api_name="/export"), encoding="utf-8").read())))
    mine = [r for r in rows if r["reference"] == ref]
    assert mine and mine[-1]["final_code"] == "5701.90" and mine[-1]["reviewer"] == "reviewer1" and mine[-1]["decided_at"]
    with zipfile.ZipFile(client.predict(token, "dataset", "en", api_name="/export")) as z:
        names, manifest = z.namelist(), z.read("dataset/manifest.csv").decode()
    assert any(n.startswith("dataset/carpet/") and n.endswith(".jpg") for n in names)
    assert "reviewer1" in manifest and "5701.90" in manifest


def test_the_page_submits_its_analysis_without_running_the_model_again(server, photos, monkeypatch):
    """Check that submitting an analysed product stores it with no further model pass."""
    core = server[2].core
    analysis = core.analyse([str(p) for p in photos[:2]], "en")
    passes = _counting(core.predictor, monkeypatch)
    ref = core.submit(analysis, "pottery", {}, "", "", "en")
    assert passes == [] and core.check(ref, "en")["state"] == "pending"


def test_review_endpoints_refuse_without_login(client):
    """Check that the review endpoints and exports are unreachable without a valid session token."""
    from gradio_client.exceptions import AppError

    for api, args in [("/queue", ("", "", "", "oldest", "en")), ("/export", ("", "csv", "en")),
                      ("/export", ("forged-token", "dataset", "en")), ("/decide", ("x" * 43, 1, "confirm", "", "", "", "en")),
                      ("/submission", ("", 1, "en"))]:
        with pytest.raises(AppError, match=r"Please log in|session has expired"):
            client.predict(*args, api_name=api)


def test_messages_come_back_in_the_language_asked(client):
    """Check that a wrong answer and an unknown reference come back translated, the library's detail beside them."""
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=r"Cette réponse ne fait pas partie des choix.*valid answers: knotted"):
        client.predict("carpet", json.dumps({"construction": "glued"}), "fr", api_name="/suggest")
    with pytest.raises(AppError, match=r"لا يوجد طلب بهذا المرجع"):
        client.predict("A" * 32, "ar", api_name="/status")
    with pytest.raises(AppError, match=r"answers must be a JSON object"):
        client.predict("carpet", "[1, 2]", "en", api_name="/suggest")


def test_upload_limits_enforced_by_the_server(client, tmp_path):
    """Check the photo-count limit and the server-side size limit (1 MB in this app)."""
    import numpy as np
    from gradio_client import handle_file
    from PIL import Image

    small = tmp_path / "s.jpg"
    Image.new("RGB", (64, 64), (120, 60, 30)).save(small)
    with pytest.raises(Exception, match=r"At most 3 photos"):
        client.predict([handle_file(str(small))] * 4, "en", api_name="/predict_product")
    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (800, 800, 3), dtype=np.uint8)).save(big)
    assert big.stat().st_size > 1024 * 1024
    with pytest.raises(Exception, match=r"(?i)exceed|too large|maximum|413"):
        client.predict([handle_file(str(big))], "en", api_name="/predict_product")
