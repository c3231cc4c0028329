"""Errors that users see. Each message names the thing, what was expected, what was got and the fix."""


class CraftvisionError(Exception):
    """Base class of every error craftvision raises on purpose."""


class ImageError(CraftvisionError, ValueError):
    """A photo could not be read, or is refused (empty, truncated, too large, not an image)."""


class ModelFileError(CraftvisionError, ValueError):
    """A model file is missing, incomplete, corrupt or does not match its checksum."""


class ConfigError(CraftvisionError, ValueError):
    """A configuration value or key is wrong."""


class DatasetError(CraftvisionError, ValueError):
    """A dataset folder has the wrong layout or too little data."""


class HSCodeError(CraftvisionError, ValueError):
    """An HS code does not exist in the nomenclature or is malformed."""


class TaxonomyError(CraftvisionError, ValueError):
    """The craft taxonomy file is broken, or a category is unknown."""


class AnswerError(CraftvisionError, ValueError):
    """An answer to a taxonomy question names an unknown question or option."""


class StoreError(CraftvisionError, RuntimeError):
    """The review store refused an operation (unknown reference, bad login, limit reached)."""


class AuthError(StoreError):
    """Login failed, a session expired, or too many failed attempts."""


class QueryError(CraftvisionError, ValueError):
    """A search query is empty or matches nothing."""
