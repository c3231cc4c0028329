"""Reviewer password hashes: argon2id at current OWASP guidance, older scrypt hashes still verified.

A stored hash carries its own algorithm and cost, so a hash written under older parameters still
verifies; ``needs_rehash`` tells the login to replace it (with the password it just checked) by
one at today's parameters. Formats:

* ``$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`` (PHC string, argon2-cffi), written today;
* ``scrypt$16384$8$1$<salt hex>$<hash hex>``, written by craftvision 0.1 stores (verified only).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import StoreError


@dataclass(frozen=True)
class PasswordParams:
    """argon2id cost. The defaults are OWASP's Password Storage Cheat Sheet setting m=19 MiB, t=2, p=1.

    Attributes:
        time_cost: passes over the memory.
        memory_kib: memory per hash, in KiB.
        parallelism: lanes (1: the attacker's GPU gains nothing from our cores).
    """

    time_cost: int = 2
    memory_kib: int = 19456
    parallelism: int = 1

    def __post_init__(self):
        for name, low in (("time_cost", 1), ("memory_kib", 8 * self.parallelism), ("parallelism", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < low:
                raise StoreError(f"The password hashing parameter {name} must be an integer >= {low}; got {value!r}.")


@lru_cache(maxsize=8)
def _hasher(params: PasswordParams) -> PasswordHasher:
    return PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_kib, parallelism=params.parallelism)


def hash_password(password: str, params: PasswordParams | None = None) -> str:
    """Hash a password with argon2id and a fresh 16-byte salt; returns the PHC string to store."""
    return _hasher(params or PasswordParams()).hash(password)


@lru_cache(maxsize=8)
def dummy_hash(params: PasswordParams) -> str:
    """A hash of a fixed string at `params`, made once per process: checked for unknown user names,
    so that they cost exactly one KDF call at the same parameters as a real account's."""
    return hash_password("craftvision: no such reviewer", params)


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches the stored hash (argon2id or legacy scrypt); one KDF call.

    A malformed or unknown hash format verifies as False rather than raising, so a damaged row
    locks nobody in.
    """
    if stored.startswith("$argon2"):
        try:
            return _hasher(PasswordParams()).verify(stored, password)  # the hash's own parameters are used
        except (VerificationError, InvalidHashError):
            return False
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    return False


def _verify_scrypt(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=32, maxmem=2**26)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def needs_rehash(stored: str, params: PasswordParams) -> bool:
    """Whether a (verified) stored hash is of another algorithm or other parameters than `params`."""
    if not stored.startswith("$argon2id$"):
        return True
    try:
        return _hasher(params).check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True
