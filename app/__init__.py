"""The craftvision Gradio app (installed as the package ``craftvision_app``)."""

from .core import CraftApp
from .ui import build_app, launch_app

__all__ = ["CraftApp", "build_app", "launch_app"]
