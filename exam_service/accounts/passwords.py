"""Password rules (ASVS 6.2): length only, no composition rules, common ones refused.

Hashes are argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile);
`needs_rehash` lets login upgrade old hashes when the parameters change.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
MAX_LENGTH = 128

# Common Indonesian choices that the English-centric list misses.
_LOCAL_COMMON = {
    "indonesia",
    "indonesia1",
    "bismillah",
    "rahasia",
    "rahasia123",
    "sayang",
    "sayangku",
    "katasandi",
    "merdeka45",
    "jakarta1",
}

_hasher = PasswordHasher()
# A valid hash to verify against when the account does not exist, so that
# login takes the same time for known and unknown e-mails.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0f1e2d")


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"]) | _LOCAL_COMMON


def password_problem(password: str) -> str | None:
    """A message in Bahasa Indonesia when the password is not acceptable, else None."""
    if len(password) < MIN_LENGTH:
        return _("Kata sandi minimal %(n)d karakter.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Kata sandi maksimal %(n)d karakter.", n=MAX_LENGTH)
    if password.lower() in _common_passwords():
        return _("Kata sandi ini terlalu umum. Pilih yang lain.")
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
