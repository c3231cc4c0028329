"""The review store (SQLite): submissions, append-only decisions, reviewers, exports, backup."""

from .store import ACTIONS, REJECT_REASONS, ReviewStore, Status, hash_password, neutralize_cell, verify_password

__all__ = ["ACTIONS", "REJECT_REASONS", "ReviewStore", "Status", "hash_password", "neutralize_cell", "verify_password"]
