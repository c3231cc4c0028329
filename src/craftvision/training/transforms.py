"""Torch transforms for training, built from the one `PreprocessSpec` (serving uses its numpy twin)."""

from __future__ import annotations

from torchvision import transforms as T

from ..preprocess import PreprocessSpec


def build_eval_transform(spec: PreprocessSpec):
    """torchvision evaluation transform equal to `preprocess_image` (checked by a test)."""
    interp = T.InterpolationMode(spec.interpolation)
    return T.Compose(
        [
            T.Resize(spec.resize_size, interpolation=interp),
            T.CenterCrop(spec.input_size),
            T.ToTensor(),
            T.Normalize(spec.mean, spec.std),
        ]
    )


def build_train_transform(
    spec: PreprocessSpec,
    scale: tuple[float, float] = (0.35, 1.0),
    hflip: float = 0.5,
    color_jitter: float = 0.3,
    grayscale: float = 0.05,
):
    """torchvision training transform: random resized crop, flip, colour jitter, then the spec's normalisation.

    The augmentation is deliberately strong in scale and colour: the training photos come from a
    few shops each, and the model must not learn a shop's background or white balance.
    """
    interp = T.InterpolationMode(spec.interpolation)
    steps = [T.RandomResizedCrop(spec.input_size, scale=scale, interpolation=interp)]
    if hflip > 0:
        steps.append(T.RandomHorizontalFlip(hflip))
    if color_jitter > 0:
        steps.append(T.ColorJitter(color_jitter, color_jitter, color_jitter, min(0.05, color_jitter / 4)))
    if grayscale > 0:
        steps.append(T.RandomGrayscale(grayscale))
    steps += [T.ToTensor(), T.Normalize(spec.mean, spec.std)]
    return T.Compose(steps)
