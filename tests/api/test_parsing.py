"""Tolerant parsing and header helpers."""

from __future__ import annotations

import base64
from datetime import date, time
import html
import json
from typing import Any

import pytest

from custom_components.lockbridge.api._http import Scrubber, parse_retry_after
from custom_components.lockbridge.api._parse import as_int, parse_date, parse_time
from tests.conftest import assert_no_secret


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("15:00", time(15, 0)),
        ("15:00:30", time(15, 0, 30)),
        ("09:05+02:00", time(9, 5)),
        ("1970-01-01T15:00:00+01:00", time(15, 0)),
        ("2026-05-01 11:30:00", time(11, 30)),
        ({"hour": 15, "minute": 0}, time(15, 0)),
        ({"hour": "9", "minute": "30"}, time(9, 30)),
        ({"hour": 9}, time(9, 0)),
        ({"hour": 25, "minute": 0}, None),
        ({"minute": 5}, None),
        ("noon", None),
        (1500, None),
    ],
)
def test_parse_time(value: object, expected: time | None) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-05-01", date(2026, 5, 1)),
        ("2026-05-01 14:07", date(2026, 5, 1)),
        ({"date": "2026-01-01 10:00:00.000000", "timezone": "Europe/Paris"}, date(2026, 1, 1)),
        ("01/05/2026", None),
        (None, None),
    ],
)
def test_parse_date(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), ("4", 4), (5.0, 5), (5.5, None), (True, None), ("x", None), ([], None)],
)
def test_as_int(value: object, expected: int | None) -> None:
    assert as_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("  ", None),
        ("30", 30.0),
        ("1000000100", 100.0),  # epoch seconds
        ("999999000", 999_999_000.0),  # below the epoch threshold: plain seconds
        ("-1", None),
        ("nan", None),
        ("Thu, 01 Jan 1970 00:00:10 GMT", 10.0),
        ("whenever", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert (
        parse_retry_after(
            value, now=1_000_000_000.0 if value != "Thu, 01 Jan 1970 00:00:10 GMT" else 0.0
        )
        == expected
    )


def test_scrubber_masks_raw_and_encoded_and_bounds_length() -> None:
    scrub = Scrubber("p@ss word", None, "")
    scrub.add("tok")
    scrub.add("tok")

    assert scrub("x p@ss word y p%40ss%20word tok") == "x *** y *** ***"
    assert len(scrub("a" * 1000)) == 300


def test_scrubber_masks_form_encoded_secrets_and_forgets_old_ones() -> None:
    scrub = Scrubber("my pass word")
    scrub.add("old-token")
    scrub.remove("old-token")
    scrub.remove(None)

    assert scrub("_password=my+pass+word old-token") == "_password=*** old-token"
    assert scrub("pin 4821", "4821", "") == "pin ***"


def test_huge_hours_are_not_times() -> None:
    assert parse_time({"hour": 10**30, "minute": 0}) is None


@pytest.mark.parametrize(
    "echo",
    [
        lambda s: s,
        lambda s: html.escape(s),
        lambda s: "".join(f"&#{ord(c)};" if c in "&P" else c for c in s),
        lambda s: json.dumps({"password": s}),
        lambda s: json.dumps(s).replace("a", "\\u0061"),  # only some characters escaped
        lambda s: "".join(f"\\u{ord(c):04X}" for c in s),
        lambda s: base64.b64encode(f"+33611223344:{s}".encode()).decode(),
        lambda s: base64.urlsafe_b64encode(f"x{s}yz".encode()).decode(),
        lambda s: base64.b64encode(s.encode()).decode().rstrip("="),
    ],
)
def test_scrubber_masks_a_secret_however_a_cloud_echoes_it(echo: Any) -> None:
    secret = "Tk&Pa55word-9f3c"
    text = f"Refused: {echo(secret)} (see the docs)"

    scrubbed = Scrubber(secret)(text)

    assert "***" in scrubbed
    assert_no_secret(scrubbed, [secret])
