"""Dates in a guest's language, from the small table (no locale library)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from custom_components.lockbridge.engine.dates import moment_text, span_text, supported

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 12, 12, 15, 0, tzinfo=PARIS)
END = datetime(2026, 12, 15, 12, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Sat 12 Dec 15:00 → Tue 15 Dec 12:00"),
        ("fr", "sam. 12 déc. 15:00 → mar. 15 déc. 12:00"),
        ("FR-ca", "sam. 12 déc. 15:00 → mar. 15 déc. 12:00"),
        ("de-CH", "Sa. 12. Dez. 15:00 → Di. 15. Dez. 12:00"),
        ("es", "sáb 12 dic 15:00 → mar 15 dic 12:00"),
        ("it", "sab 12 dic 15:00 → mar 15 dic 12:00"),
        ("nl", "za 12 dec 15:00 → di 15 dec 12:00"),
        ("pt_BR", "sáb., 12 de dez. 15:00 → ter., 15 de dez. 12:00"),
        ("ja", "Sat 12 Dec 15:00 → Tue 15 Dec 12:00"),  # not in the table: English
        (None, "Sat 12 Dec 15:00 → Tue 15 Dec 12:00"),
    ],
)
def test_a_window_in_each_language(language: str | None, expected: str) -> None:
    assert span_text(START, END, language) == expected


def test_every_month_and_day_has_a_name() -> None:
    for language in ("en", "fr", "de", "es", "it", "nl", "pt", "sv"):
        assert supported(language) == language
        texts = {moment_text(datetime(2027, month, 1, 9, 5), language) for month in range(1, 13)}
        assert len(texts) == 12
        days = {
            moment_text(datetime(2027, 3, day, 9, 5), language).split()[0] for day in range(1, 8)
        }
        assert len(days) == 7
