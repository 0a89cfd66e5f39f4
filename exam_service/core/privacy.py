"""Data minimisation helpers that any domain may import (no Flask, no database)."""

from __future__ import annotations

VISIBLE_DIGITS = 4


def mask_nik(nik: str) -> str:
    """`3273011501900001` -> `3273********0001`: enough to tell people apart, not to reuse.

    The regency code (first four digits) stays, because admins filter by region;
    a value too short to keep both ends visible is masked completely.
    """
    if len(nik) <= 2 * VISIBLE_DIGITS:
        return "*" * len(nik)
    hidden = len(nik) - 2 * VISIBLE_DIGITS
    return nik[:VISIBLE_DIGITS] + "*" * hidden + nik[-VISIBLE_DIGITS:]
