"""Tests of the Gradio app through gradio_client: predict, questions, submit, status, review, exports."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory):
    """The app on the tiny model, with a fresh store and one reviewer, on a loopback port."""
    from conftest import start_app

    url, store, demo = start_app(tiny_model, tmp_path_factory.mktemp("appdata"), ("reviewer1", "a long password 123"),
                                 max_photos=3, max_photo_mb=1)
    yield url, store
    demo.close()


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server[0], verbose=False)


def test_full_loop_through_the_api(client, server, synthetic_data, tmp_path):
    """Check predict -> answers -> submit -> status -> login -> queue -> correct -> CSV and dataset exports."""
    from gradio_client import handle_file

    photo = next((synthetic_data / "carpet").iterdir())
    res = client.predict([handle_file(str(photo))], "fr", api_name="/predict")
    assert res["photos"][0]["categories"] and res["photos"][0]["decision"] in ("accept", "review", "not_a_craft")
    s = client.predict("carpet", json.dumps({"construction": "knotted", "fibre": "wool"}), "fr", api_name="/suggest")
    assert s["code"]["code"] == "5701.10" and "tapis" in s["declaration"]["fr"]
    ref = client.predict([handle_file(str(photo))], "carpet", json.dumps({"construction": "knotted", "fibre": "wool"}),
                         "tapis berbère", "+212600000000", "fr", api_name="/submit")
    assert len(ref) >= 22  # 24 random bytes, URL-safe base64: at least 128 bits
    assert client.predict(ref, "fr", api_name="/status")["state"] == "pending"

    token = client.predict("reviewer1", "a long password 123", api_name="/login")
    queue = client.predict(token, "", "", "oldest", api_name="/queue")
    sid = next(q["id"] for q in queue if q["reference"] == ref)
    sub = client.predict(token, str(sid), "correct", "carpet", "5701.90", "pile is synthetic", api_name="/decide")
    assert sub["status"] == "corrected" and sub["history"][-1]["reviewer"] == "reviewer1"
    st = client.predict(ref, "en", api_name="/status")
    assert st["state"] == "corrected" and st["final_code"] == "5701.90"

    csv_path = client.predict(token, api_name="/export_csv")
    rows = list(csv.DictReader(io.StringIO(open(csv_path, encoding="utf-8").read())))
    mine = [r for r in rows if r["reference"] == ref]
    assert mine and mine[-1]["final_code"] == "5701.90" and mine[-1]["reviewer"] == "reviewer1" and mine[-1]["decided_at"]
    zip_path = client.predict(token, api_name="/export_dataset")
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        manifest = z.read("dataset/manifest.csv").decode()
    assert any(n.startswith("dataset/carpet/") and n.endswith(".jpg") for n in names)
    assert "reviewer1" in manifest and "5701.90" in manifest


def test_review_endpoints_refuse_without_login(client):
    """Check that the review endpoints and exports are unreachable without a valid session token."""
    from gradio_client.exceptions import AppError

    for api, args in [("/queue", ("", "", "", "oldest")), ("/export_csv", ("",)), ("/export_dataset", ("forged-token",)),
                      ("/decide", ("x" * 43, "1", "confirm", "", "", "")), ("/submission", ("", "1"))]:
        with pytest.raises(AppError, match=r"log in|expired"):
            client.predict(*args, api_name=api)


def test_wrong_answers_and_unknown_references_are_messages(client):
    """Check that a wrong answer and an unknown reference come back as clear messages."""
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=r"valid answers: knotted"):
        client.predict("carpet", json.dumps({"construction": "glued"}), "en", api_name="/suggest")
    with pytest.raises(AppError, match=r"No request has this reference"):
        client.predict("A" * 32, "en", api_name="/status")


def test_upload_limits_enforced_by_the_server(client, server, tmp_path):
    """Check the photo-count limit and the server-side size limit (1 MB in this app)."""
    from gradio_client import handle_file
    from PIL import Image

    small = tmp_path / "s.jpg"
    Image.new("RGB", (64, 64), (120, 60, 30)).save(small)
    with pytest.raises(Exception, match=r"(?i)at most 3 photos|3 photos au maximum"):
        client.predict([handle_file(str(small))] * 4, "en", api_name="/predict")
    big = tmp_path / "big.png"
    import numpy as np

    Image.fromarray(np.random.default_rng(0).integers(0, 255, (800, 800, 3), dtype=np.uint8)).save(big)
    assert big.stat().st_size > 1024 * 1024
    with pytest.raises(Exception, match=r"(?i)exceed|too large|maximum|413"):
        client.predict([handle_file(str(big))], "en", api_name="/predict")
