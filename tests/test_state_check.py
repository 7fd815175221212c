"""A corrupt state store: each bad value is dropped alone and said, the good ones are kept."""

from __future__ import annotations

from datetime import date, datetime
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest

from custom_components.lockbridge.clients import login_digest
from custom_components.lockbridge.const import DOMAIN
from custom_components.lockbridge.engine.bookings import Booking, BookingKey, BookingStatus, to_dict
from custom_components.lockbridge.engine.messages import Written
from custom_components.lockbridge.engine.window import Override
from custom_components.lockbridge.sources.hotelrunner_records import KIND as HOTELRUNNER
from tests.demo_stack import Demo, set_up

GOOD = BookingKey("smoobu", "58123401")
LATE = "2026-11-27T14:00:00+01:00"
#: Words put in the bad values: no log line may repeat any.
GARBAGE = "zz-garbage-zz"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def cached(number: str, guest: str) -> Booking:
    return Booking(
        key=BookingKey(HOTELRUNNER, f"{number}/HR:1"),
        unit_id="HR:1",
        status=BookingStatus.CONFIRMED,
        arrival=date(2026, 11, 28),
        departure=date(2026, 11, 30),
        guest_name=guest,
    )


async def test_corrupt_values_are_dropped_one_by_one_and_setup_goes_on(
    hass: HomeAssistant,
    demo: Demo,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = demo.entry()
    smoobu, hotelrunner = (
        next(i for i, s in entry.subentries.items() if s.subentry_type == kind)
        for kind in ("smoobu", "hotelrunner")
    )
    kept = cached("R900", "Kept Guest")
    hass_storage[f"{DOMAIN}.{entry.entry_id}.state"] = {
        "version": 1,
        "data": {
            "overrides": {
                str(GOOD): {"check_out": LATE},
                "smoobu:2": [GARBAGE],  # a list instead of a dict
                "smoobu:3": {"check_in": 5},  # a number instead of a date
                "smoobu:4": {"check_in": GARBAGE},  # a bad date
                "smoobu:5": {"check_out": "2026-11-27T14:00:00"},  # no time zone
                "smoobu:6": {"check_in": {"nested": [GARBAGE]}},
                "no-booking-key": {"check_in": LATE},
                7: {"check_in": LATE},  # not a text key
            },
            "budgets": [GARBAGE, 5],  # a whole part of the wrong type
            "bookings": {
                hotelrunner: [
                    to_dict(kept),
                    5,
                    GARBAGE,
                    [GARBAGE],
                    {**to_dict(cached("R901", "Bad Date")), "arrival": "2026-13-45"},
                    {**to_dict(cached("R902", "Bad Phone")), "phone": {"n": [GARBAGE]}},
                    {**to_dict(cached("R903", "Bad Adults")), "adults": "two"},
                    {**to_dict(cached("R904", "Naive")), "modified": "2026-11-20T10:00:00"},
                    {**to_dict(cached("R905", "Bad Status")), "status": [GARBAGE]},
                ],
            },
            "released": {
                "smoobu:9": "2026-12-20T00:00:00+00:00",
                "smoobu:10": 5,
                "smoobu:11": GARBAGE,
                "smoobu:12": ["2026-12-20T00:00:00+00:00"],
            },
            "placeholders": {
                smoobu: {
                    "58123401": {
                        "door_code": [11, "digest-a"],
                        "window": [None, "digest-b"],
                        "bad": GARBAGE,
                        "short": [1],
                        "id_text": [GARBAGE, "digest-c"],
                        "digest_number": [12, 5],
                    },
                    "²": {"door_code": [13, "digest-d"]},  # isdigit() but not a number
                    "58123402": [GARBAGE],
                    GARBAGE: {"door_code": [14, "digest-e"]},
                },
            },
            "messages": {
                str(GOOD): ["v1", 5, None, [GARBAGE], "v2"],
                "smoobu:2": 5,  # `in` on a number: the TypeError of old
                "smoobu:3": {GARBAGE: 1},
                "smoobu:4": GARBAGE,
            },
        },
    }
    caplog.set_level(logging.WARNING)

    entry = await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    state = entry.runtime_data.state
    assert state.overrides() == {GOOD: Override(check_out=datetime.fromisoformat(LATE))}
    known = {booking.key.booking_id for booking in state.bookings(hotelrunner)}
    assert "R900/HR:1" in known  # kept, with those just read
    assert not {f"R90{n}/HR:1" for n in range(1, 6)} & known
    assert state.released() == {BookingKey("smoobu", "9")}
    assert state.placeholders(smoobu) == {
        58123401: {"door_code": Written(11, "digest-a"), "window": Written(None, "digest-b")}
    }
    assert state.message_sent(GOOD, "v1")
    assert state.message_sent(GOOD, "v2")
    for bad in ("smoobu:2", "smoobu:3", "smoobu:4"):
        assert not state.message_sent(BookingKey(*bad.split(":")), "v1")
    state.note_message(BookingKey("smoobu", "2"), "v1")  # and can be written again
    assert state.message_sent(BookingKey("smoobu", "2"), "v1")

    said = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("custom_"))
    for part in ("overrides", "budgets", "bookings", "released", "placeholders", "messages"):
        assert part in said
    for secret in (GARBAGE, "Bad Phone", "Kept Guest", "58123401", "digest"):
        assert secret not in said


async def test_a_store_that_is_not_a_dict_is_an_empty_one(
    hass: HomeAssistant,
    demo: Demo,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = demo.entry()
    hass_storage[f"{DOMAIN}.{entry.entry_id}.state"] = {"version": 1, "data": [GARBAGE]}

    entry = await set_up(hass, entry)

    assert entry.runtime_data.state.overrides() == {}
    said = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("custom_"))
    assert "saved LockBridge state was unreadable" in said
    assert GARBAGE not in said


async def test_oversized_saved_values_are_dropped(
    hass: HomeAssistant, demo: Demo, hass_storage: dict[str, Any]
) -> None:
    """The file is ours, but a damaged or edited one must not hand on a 10 kB name or token."""
    entry = demo.entry()
    hotelrunner = next(i for i, s in entry.subentries.items() if s.subentry_type == "hotelrunner")
    long = {**to_dict(cached("R906", "Long")), "guest_name": "x" * 10_000}
    hass_storage[f"{DOMAIN}.{entry.entry_id}.state"] = {
        "version": 1,
        "data": {
            "bookings": {hotelrunner: [to_dict(cached("R900", "Kept Guest")), long]},
            "session": {
                "token": "t" * 10_000,
                "login": login_digest(entry.data),  # its own login: only the size is wrong
                "expires_at": "2099-01-01T00:00:00+00:00",
            },
        },
    }

    entry = await set_up(hass, entry)

    state = entry.runtime_data.state
    known = {booking.key.booking_id for booking in state.bookings(hotelrunner)}
    assert "R900/HR:1" in known
    assert "R906/HR:1" not in known
    assert demo.thekeys.logins == 1  # the token was not taken
