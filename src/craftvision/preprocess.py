"""The one preprocessing spec, shared by training (torch) and serving (numpy).

`PreprocessSpec` is resolved once from the timm model's data config and written into the model
file. Serving runs `preprocess_image` (numpy + Pillow only). Training builds its torch transforms
from the same spec (`craftvision.training.transforms`); a test checks that the torch evaluation
transform and `preprocess_image` give the same tensor for the same file.
"""

from __future__ import annotations

import functools

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
from PIL import Image

from .errors import ConfigError, ImageError

_PIL_INTERPOLATION = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
}

#: Longest-to-shortest side ratio above which a picture cannot show a product (20000 x 20 strips):
#: resizing its short side to the model size would need hundreds of megapixels.
MAX_ASPECT_RATIO = 20.0


@dataclass(frozen=True)
class PreprocessSpec:
    """How a photo becomes the model's input tensor.

    Attributes:
        input_size: (height, width) of the model input after the centre crop.
        resize_size: the shorter side is resized to this before the centre crop.
        interpolation: resampling filter for the resize ("bicubic", "bilinear", "nearest").
        mean: per-channel mean subtracted after scaling to [0, 1].
        std: per-channel standard deviation divided by.
    """

    input_size: tuple[int, int]
    resize_size: int
    interpolation: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __post_init__(self):
        if self.interpolation not in _PIL_INTERPOLATION:
            raise ConfigError(
                f"The preprocessing interpolation must be one of {sorted(_PIL_INTERPOLATION)}; got {self.interpolation!r}."
            )
        if self.resize_size < min(self.input_size):
            raise ConfigError(
                f"resize_size ({self.resize_size}) must be at least the crop size {self.input_size}."
            )

    @classmethod
    def from_timm_config(cls, config: dict) -> "PreprocessSpec":
        """Build the spec from timm's ``resolve_model_data_config`` output (centre-crop mode)."""
        _, h, w = config["input_size"]
        crop_pct = config.get("crop_pct", 0.875)
        if config.get("crop_mode", "center") != "center":
            raise ConfigError(f"Only the 'center' crop mode is supported; got {config.get('crop_mode')!r}.")
        # timm's transforms_factory: scale_size = floor(img_size / crop_pct), shorter side resized to it.
        resize = math.floor(max(h, w) / crop_pct)
        return cls(
            input_size=(int(h), int(w)),
            resize_size=int(resize),
            interpolation=str(config.get("interpolation", "bicubic")),
            mean=tuple(float(x) for x in config["mean"]),
            std=tuple(float(x) for x in config["std"]),
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PreprocessSpec":
        """Read a spec written by `to_dict`; a missing or unknown key is an error."""
        names = {f.name for f in fields(cls)}
        missing = names - set(data)
        unknown = set(data) - names
        if missing or unknown:
            raise ConfigError(
                f"The preprocessing spec must have exactly the keys {sorted(names)}; "
                f"missing {sorted(missing)}, unknown {sorted(unknown)}."
            )
        return cls(
            input_size=tuple(int(x) for x in data["input_size"]),
            resize_size=int(data["resize_size"]),
            interpolation=str(data["interpolation"]),
            mean=tuple(float(x) for x in data["mean"]),
            std=tuple(float(x) for x in data["std"]),
        )


def _resized_size(width: int, height: int, short: int) -> tuple[int, int]:
    """Size after resizing the shorter side to `short`, rounded as torchvision rounds it."""
    if width <= height:
        return short, int(short * height / width)
    return int(short * width / height), short


def resize_and_crop(image: Image.Image, spec: PreprocessSpec, name: str = "image") -> Image.Image:
    """Resize the shorter side to ``spec.resize_size`` and take the centre crop (a PIL image)."""
    w, h = image.size
    if max(w, h) / max(1, min(w, h)) > MAX_ASPECT_RATIO:
        raise ImageError(
            f"The image '{name}' is {w} x {h} pixels: too elongated to show a product "
            f"(aspect ratio over {MAX_ASPECT_RATIO:.0f}:1); crop it around the product and retry."
        )
    new_w, new_h = _resized_size(w, h, spec.resize_size)
    if (new_w, new_h) != (w, h):
        image = image.resize((new_w, new_h), _PIL_INTERPOLATION[spec.interpolation])
    ch, cw = spec.input_size
    top = int(round((new_h - ch) / 2.0))
    left = int(round((new_w - cw) / 2.0))
    return image.crop((left, top, left + cw, top + ch))


@functools.lru_cache(maxsize=8)
def _normalize_table(mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    """(3, 256) float32: the normalised value of each 8-bit level, per channel."""
    levels = np.arange(256, dtype=np.float32)[None, :] / np.float32(255.0)
    return (levels - np.asarray(mean, dtype=np.float32)[:, None]) / np.asarray(std, dtype=np.float32)[:, None]


def normalize_array(rgb: np.ndarray, spec: PreprocessSpec) -> np.ndarray:
    """(H, W, 3) uint8 -> (3, H, W) float32, scaled to [0, 1] then normalised by mean and std.

    Computed as ``(x / 255 - mean) / std`` in float32 once per 8-bit level, then looked up: the
    same values, bit for bit, as the arithmetic on every pixel, in a third of the time.
    """
    table = _normalize_table(tuple(spec.mean), tuple(spec.std))
    rgb = np.asarray(rgb, dtype=np.uint8)
    out = np.empty((3, *rgb.shape[:2]), dtype=np.float32)
    for c in range(3):
        np.take(table[c], rgb[:, :, c], out=out[c])
    return out


def preprocess_image(image: Image.Image, spec: PreprocessSpec, name: str = "image") -> np.ndarray:
    """Serving preprocessing of one RGB image: returns (3, H, W) float32."""
    cropped = resize_and_crop(image, spec, name)
    return normalize_array(np.asarray(cropped, dtype=np.uint8), spec)
