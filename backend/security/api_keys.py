"""API keys: `dik_<prefix>_<secret>`. The prefix is stored in clear (it names the key in lists and logs); the
whole key only as its SHA-256, which is enough for 256 random bits (no dictionary to guess from, unlike a
password, so no slow hash is needed and checking a key costs microseconds)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_MARK = "dik_"
_PREFIX_CHARS = 10
_SHAPE = re.compile(r"dik_([A-Za-z0-9]{10})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str  # the whole key, shown once
    digest: str


def new_key() -> NewKey:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    prefix = "".join(secrets.choice(alphabet) for _ in range(_PREFIX_CHARS))
    secret = f"{KEY_MARK}{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix, secret, key_digest(secret))


def key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_prefix(secret: str) -> str | None:
    """The prefix of a well-formed key, or None (then it is not a key of ours)."""
    match = _SHAPE.fullmatch(secret)
    return match.group(1) if match else None


def digest_matches(stored: str, secret: str) -> bool:
    return hmac.compare_digest(stored, key_digest(secret))
