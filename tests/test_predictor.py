"""Tests of craftvision.predictor: torch-free serving, self-describing model files, streaming."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from craftvision.errors import ImageError, ModelFileError


def test_importing_the_predictor_does_not_import_torch():
    """Check that serving code never imports torch or timm."""
    code = ("import sys, craftvision.predictor, craftvision.images, craftvision.preprocess, craftvision.taxonomy; "
            "bad = [m for m in ('torch', 'timm', 'torchvision') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_predict_returns_ranked_categories_with_hs(tiny_model, synthetic_data):
    """Check a prediction: ranked probabilities, decision, model version and HS suggestion."""
    from craftvision.predictor import load_predictor

    pred = load_predictor(tiny_model).predict(next((synthetic_data / "carpet").iterdir()), top_k=3)
    probs = [c.probability for c in pred.categories]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    assert pred.decision in ("accept", "review", "not_a_craft")
    assert pred.model_version.startswith("test_efficientnet@")
    assert pred.hs is not None and pred.hs.category == pred.top.name
    json.dumps(pred.to_dict())


def test_iter_predict_streams_and_reports_bad_files(tiny_model, synthetic_data, tmp_path):
    """Check that a folder with a corrupt file yields predictions in order plus an ImageError for it."""
    from craftvision.predictor import load_predictor

    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    files = sorted((synthetic_data / "stone").iterdir())[:5]
    results = list(load_predictor(tiny_model).iter_predict(files[:2] + [bad] + files[2:], batch_size=2))
    assert len(results) == 6 and isinstance(results[2], ImageError)
    assert [r.source for r in results if not isinstance(r, Exception)] == [f.name for f in files]


def test_batch_equals_single(tiny_model, synthetic_data):
    """Check that batched and one-by-one predictions agree."""
    from craftvision.predictor import load_predictor

    p = load_predictor(tiny_model)
    files = sorted((synthetic_data / "zellige").iterdir())[:4]
    batch = p.predict_batch([p.load(f) for f in files], [f.name for f in files])
    for f, b in zip(files, batch):
        s = p.predict(f)
        assert np.isclose(s.top.probability, b.top.probability, atol=1e-5) and s.top.name == b.top.name


def test_refuses_tampered_or_undescribed_model(tiny_model, tmp_path):
    """Check that a changed file (checksum) and a file without metadata are refused."""
    import shutil

    from craftvision.predictor import load_predictor

    copy = tmp_path / "m.onnx"
    shutil.copy(tiny_model, copy)
    shutil.copy(str(tiny_model) + ".sha256", str(copy) + ".sha256")
    load_predictor(copy)  # an intact copy loads
    with open(copy, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelFileError, match=r"does not match its recorded SHA-256"):
        load_predictor(copy)
    import onnx

    m = onnx.load(str(tiny_model))
    del m.metadata_props[:]
    bare = tmp_path / "bare.onnx"
    onnx.save(m, str(bare))
    with pytest.raises(ModelFileError, match=r"has no craftvision metadata"):
        load_predictor(bare, verify_checksum=False)
    with pytest.raises(ModelFileError, match=r"does not exist"):
        load_predictor(tmp_path / "none.onnx")


def test_refuses_classes_missing_from_taxonomy(tiny_model, tmp_path):
    """Check that a model predicting a class the taxonomy lacks is refused."""
    import onnx

    from craftvision.predictor import load_predictor

    m = onnx.load(str(tiny_model))
    meta = json.loads(m.metadata_props[0].value)
    meta["class_names"] = ["carpet", "pottery", "stone", "spaceship"]
    m.metadata_props[0].value = json.dumps(meta)
    path = tmp_path / "alien.onnx"
    onnx.save(m, str(path))
    with pytest.raises(ModelFileError, match=r"missing from the HS taxonomy: \['spaceship'\]"):
        load_predictor(path, verify_checksum=False)


def test_class_activation_map(tiny_model, synthetic_data):
    """Check the class activation map: crop-sized, in [0, 1], computed without torch."""
    from craftvision.predictor import load_predictor

    p = load_predictor(tiny_model)
    img = p.load(next((synthetic_data / "pottery").iterdir()))
    heat, name = p.class_activation_map(img)
    assert heat.shape == p.spec.input_size and 0 <= heat.min() and heat.max() <= 1 and name in p.class_names
    assert p.explain(img).size == p.spec.input_size[::-1]


def test_decision_rule():
    """Check accept / review / not_a_craft from probabilities and thresholds."""
    from craftvision.predictor import decide

    from craftvision.predictor import craft_view

    names = ["carpet", "not_a_craft", "pottery"]
    rule = {"accept_min_probability": 0.8, "not_a_craft_min_probability": 0.6}
    assert decide(np.array([0.9, 0.05, 0.05]), names, rule) == "accept"
    assert decide(np.array([0.5, 0.1, 0.4]), names, rule) == "review"
    assert decide(np.array([0.1, 0.7, 0.2]), names, rule) == "not_a_craft"
    assert decide(np.array([0.3, 0.45, 0.25]), names, rule) == "review"
    craft, cnames, p_nac = craft_view(np.array([0.3, 0.5, 0.2]), names)
    assert cnames == ["carpet", "pottery"] and p_nac == 0.5 and np.allclose(craft, [0.6, 0.4])


def test_fuse_probabilities_is_a_normalised_geometric_mean():
    """Check that fusion averages log-probabilities: one photo unchanged, two photos a renormalised geometric mean."""
    from craftvision.predictor import fuse_probabilities

    one = np.array([[0.2, 0.5, 0.3]])
    assert np.allclose(fuse_probabilities(one), one[0])
    fused = fuse_probabilities(np.array([[0.5, 0.5], [0.9, 0.1]]))
    assert np.allclose(fused, [0.75, 0.25])  # sqrt(.45) : sqrt(.05) = 3 : 1
    # a class one photo rules out entirely is pulled down, not vetoed to exactly zero
    assert 0 < fuse_probabilities(np.array([[0.0, 1.0], [1.0, 0.0]]))[0] < 1
    with pytest.raises(ValueError, match=r"takes \(photos, classes\) probabilities; got shape \(3,\)"):
        fuse_probabilities(np.array([0.2, 0.3, 0.5]))


def _full_probs(pred, class_names):
    """The unconditional class probabilities behind a Prediction that kept every craft category."""
    out = np.zeros(len(class_names))
    for c in pred.categories:
        out[class_names.index(c.name)] = c.probability * (1 - pred.not_a_craft_probability)
    if "not_a_craft" in class_names:
        out[class_names.index("not_a_craft")] = pred.not_a_craft_probability
    return out


def test_predict_product_fuses_the_photos_own_predictions(tiny_model, synthetic_data):
    """Check that a product's ranking is the fusion of its photos' own predictions, kept in input order with disagreement flags."""
    from craftvision.predictor import fuse_probabilities, load_predictor

    p = load_predictor(tiny_model)
    files = sorted((synthetic_data / "pottery").iterdir())[:2] + sorted((synthetic_data / "stone").iterdir())[:1]
    k = len(p.class_names)
    product = p.predict_product(files, top_k=k)
    assert [ph.source for ph in product.photos] == [f.name for f in files]
    singles = [p.predict(f, top_k=k) for f in files]
    expected = fuse_probabilities(np.stack([_full_probs(s, p.class_names) for s in singles]))
    got = _full_probs(product, p.class_names)
    assert np.allclose(got, expected, atol=1e-5)
    assert product.top.name == p.class_names[int(np.argmax(expected))]
    assert product.disagrees == [s.top.name != product.top.name for s in singles]
    assert product.decision_rule == "product" and product.decision in ("accept", "review", "not_a_craft")
    assert (product.hs is None) == (product.decision == "not_a_craft")
    d = json.loads(json.dumps(product.to_dict()))
    assert [ph["disagrees"] for ph in d["photos"]] == product.disagrees and d["model_version"] == p.version


def test_predict_product_with_maps_gives_each_photo_the_fused_top_class_map(tiny_model, synthetic_data):
    """Check that with_maps=True adds one map per photo, equal to that photo's class map of the fused top class."""
    from craftvision.predictor import load_predictor

    p = load_predictor(tiny_model)
    files = sorted((synthetic_data / "pottery").iterdir())[:2]
    assert p.predict_product(files).heats is None
    product = p.predict_product(files, with_maps=True)
    assert len(product.heats) == 2
    for f, heat in zip(files, product.heats):
        assert heat.shape == tuple(p.spec.input_size) and 0.0 <= heat.min() and heat.max() <= 1.0
        own, name = p.class_activation_map(p.load(f), product.top.name)
        assert name == product.top.name and np.allclose(heat, own, atol=1e-4)
    assert "heats" not in product.to_dict()


def _with_metadata(model, tmp_path, name, change):
    """A copy of `model` whose craftvision metadata JSON was changed by `change(meta)` (no checksum file)."""
    import onnx

    m = onnx.load(str(model))
    meta = json.loads(m.metadata_props[0].value)
    change(meta)
    m.metadata_props[0].value = json.dumps(meta)
    path = tmp_path / name
    onnx.save(m, str(path))
    return path


def test_predict_product_decides_with_the_product_thresholds(tiny_model, synthetic_data, tmp_path):
    """Check that several photos are decided by the product thresholds and one photo by the single-photo ones."""
    from craftvision.predictor import load_predictor

    def change(meta):
        cal = meta["calibration"]
        cal["decision"].update(accept_min_probability=1.01, not_a_craft_min_probability=1.01)  # never accept
        cal["product_decision"].update(accept_min_probability=0.0, not_a_craft_min_probability=1.01)  # always accept

    p = load_predictor(_with_metadata(tiny_model, tmp_path, "rules.onnx", change), verify_checksum=False)
    files = sorted((synthetic_data / "carpet").iterdir())[:2]
    product = p.predict_product(files)
    assert product.decision == "accept" and product.decision_rule == "product"
    assert [ph.decision for ph in product.photos] == ["review", "review"]
    one = p.predict_product(files[:1])
    assert one.decision_rule == "single_photo" and one.decision == "review" == p.predict(files[0]).decision
    with pytest.raises(ImageError, match=r"needs at least one photo; got none"):
        p.predict_product([])
