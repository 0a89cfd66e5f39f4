"""NIK masking: both ends visible, the middle (birth date) hidden."""

from __future__ import annotations

import pytest

from exam_service.core.privacy import mask_nik


@pytest.mark.parametrize(
    ("nik", "masked"),
    [
        ("3273011501900001", "3273********0001"),
        ("327301150190", "3273****0190"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_nik(nik, masked):
    assert mask_nik(nik) == masked
