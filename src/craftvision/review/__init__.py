"""The review store (SQLite): submissions, append-only decisions, reviewers, exports, backup."""

from .passwords import PasswordParams, hash_password, verify_password
from .store import ACTIONS, REJECT_REASONS, ReviewStore, Status, neutralize_cell

__all__ = ["ACTIONS", "REJECT_REASONS", "PasswordParams", "ReviewStore", "Status", "hash_password", "neutralize_cell",
           "verify_password"]
