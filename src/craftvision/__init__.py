"""craftvision: from a photo of a craft product to a suggested HS 2022 customs code."""

__version__ = "0.1.0"
