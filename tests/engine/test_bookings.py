"""Normalised bookings from both sources: statuses, stays per room line, broken records."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import aiohttp
import pytest

from custom_components.lockbridge.api.budget import RequestBudget
from custom_components.lockbridge.api.hotelrunner import HotelRunnerClient
from custom_components.lockbridge.api.models import (
    HotelRunnerReservation,
    HotelRunnerRoomStay,
    SmoobuReservation,
)
from custom_components.lockbridge.api.smoobu import SmoobuClient
from custom_components.lockbridge.engine.bookings import (
    BookingKey,
    BookingStatus,
    Rejection,
    RejectReason,
    UnitKey,
    from_dict,
    to_dict,
)
from custom_components.lockbridge.sources.hotelrunner_records import (
    KIND as HOTELRUNNER,
    from_hotelrunner,
)
from custom_components.lockbridge.sources.smoobu import KIND as SMOOBU, from_smoobu
from tests.conftest import HR_ID, HR_TOKEN, SMOOBU_KEY, SMOOBU_SECRET
from tests.fakes.hotelrunner import HotelRunnerSimulator
from tests.fakes.smoobu import SmoobuSimulator

A, B = date(2026, 6, 12), date(2026, 6, 15)


def smoobu(booking_id: int = 1, **changes: Any) -> SmoobuReservation:
    values: dict[str, object] = {
        "id": booking_id,
        "type": "reservation",
        "apartment_id": 101,
        "apartment_name": "Loft",
        "arrival": A,
        "departure": B,
        "check_in": time(16, 0),
        "check_out": None,
        "guest_name": "Maria Keller",
        "firstname": "Maria",
        "lastname": "Keller",
    }
    values.update(changes)
    return SmoobuReservation(**values)  # type: ignore[arg-type]


def line(inv_code: str, state: str = "confirmed", **changes: object) -> HotelRunnerRoomStay:
    values: dict[str, object] = {
        "inv_code": inv_code,
        "rate_code": "RACK",
        "name": inv_code,
        "state": state,
        "checkin": A,
        "checkout": B,
    }
    values.update(changes)
    return HotelRunnerRoomStay(**values)  # type: ignore[arg-type]


def hotelrunner(*rooms: HotelRunnerRoomStay, **changes: object) -> HotelRunnerReservation:
    values: dict[str, object] = {
        "hr_number": "R100",
        "reservation_id": 9,
        "state": "confirmed",
        "guest_name": "Ali Veli",
        "firstname": "Ali",
        "lastname": "Veli",
        "rooms": rooms,
    }
    values.update(changes)
    return HotelRunnerReservation(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, BookingStatus.CONFIRMED),
        ({"type": "modification of booking"}, BookingStatus.CONFIRMED),
        ({"type": "cancellation"}, BookingStatus.CANCELLED),
        (
            {"is_blocked": True, "guest_name": "", "firstname": "", "lastname": ""},
            BookingStatus.BLOCKED,
        ),
    ],
)
def test_smoobu_statuses(changes: dict[str, Any], status: BookingStatus) -> None:
    [item] = from_smoobu([smoobu(**changes)]).bookings

    assert item.status is status
    assert item.key == BookingKey(SMOOBU, "1")
    assert item.unit == UnitKey(SMOOBU, "101")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"arrival": None}, RejectReason.MISSING_DATES),
        ({"departure": None}, RejectReason.MISSING_DATES),
        ({"departure": A}, RejectReason.DEPARTURE_NOT_AFTER_ARRIVAL),
        ({"departure": date(2026, 6, 1)}, RejectReason.DEPARTURE_NOT_AFTER_ARRIVAL),
        ({"apartment_id": None}, RejectReason.MISSING_UNIT),
        ({"apartment_id": 999}, RejectReason.UNKNOWN_UNIT),
        ({"guest_name": " \t", "firstname": "", "lastname": ""}, RejectReason.MISSING_GUEST_NAME),
        ({"departure": date(9999, 12, 31)}, RejectReason.DATE_OUT_OF_RANGE),
        ({"arrival": date(1, 1, 1)}, RejectReason.DATE_OUT_OF_RANGE),
        ({"departure": date(2100, 1, 1)}, RejectReason.DATE_OUT_OF_RANGE),
        ({"departure": A + timedelta(days=732)}, RejectReason.STAY_TOO_LONG),
    ],
)
def test_broken_smoobu_records_are_reported_not_raised(
    changes: dict[str, object], reason: RejectReason
) -> None:
    result = from_smoobu([smoobu(1, **changes), smoobu(2)], known_units=[101, 102])

    assert [item.key.booking_id for item in result.bookings] == ["2"]
    assert result.rejected == (Rejection(BookingKey(SMOOBU, "1"), reason),)


def test_smoobu_details_are_kept_and_names_cleaned() -> None:
    [item] = from_smoobu(
        [smoobu(guest_name="", firstname=" Zoë\n", lastname="Ødegård\x00 ", phone="+33 6 11")]
    ).bookings

    assert item.guest_name == "Zoë Ødegård"
    assert (item.first_name, item.last_name) == ("Zoë", "Ødegård")
    assert (item.check_in, item.check_out, item.phone) == (time(16, 0), None, "+33 6 11")
    assert "+33" not in repr(item)


def test_newest_copy_of_a_booking_wins() -> None:
    old = smoobu(departure=date(2026, 6, 14), modified_at=datetime(2026, 5, 1, tzinfo=UTC))
    new = smoobu(modified_at=datetime(2026, 5, 2, tzinfo=UTC))
    undated = smoobu(departure=date(2026, 6, 20))

    assert [item.departure for item in from_smoobu([new, old]).bookings] == [B]
    assert [item.departure for item in from_smoobu([old, new]).bookings] == [B]
    assert [item.departure for item in from_smoobu([new, undated]).bookings] == [B]
    # A broken copy does not hide a good one, whatever the order.
    broken = smoobu(arrival=None)
    assert len(from_smoobu([broken, new]).bookings) == 1
    assert from_smoobu([new, broken]).rejected == ()


def test_hotelrunner_one_stay_per_room_line() -> None:
    reservation = hotelrunner(
        line("HR:1"),
        line("HR:2", checkin=date(2026, 6, 13)),
        line("HR:1", checkout=date(2026, 6, 14)),
        line("HR:2", state="canceled"),
    )

    result = from_hotelrunner([reservation], known_units=["HR:1", "HR:2"])

    assert {
        item.key.booking_id: (item.unit_id, item.arrival, item.departure, item.status)
        for item in result.bookings
    } == {
        "R100/HR:1": ("HR:1", A, B, BookingStatus.CONFIRMED),
        "R100/HR:2": ("HR:2", date(2026, 6, 13), B, BookingStatus.CONFIRMED),
        "R100/HR:1#2": ("HR:1", A, date(2026, 6, 14), BookingStatus.CONFIRMED),
        "R100/HR:2#2": ("HR:2", A, B, BookingStatus.CANCELLED),
    }
    assert {item.guest_name for item in result.bookings} == {"Ali Veli"}


@pytest.mark.parametrize("state", ["reserved", "confirmed"])
def test_hotelrunner_live_states(state: str) -> None:
    [item] = from_hotelrunner([hotelrunner(line("HR:1", state=state), state=state)]).bookings
    assert item.status is BookingStatus.CONFIRMED


def test_hotelrunner_cancelled_reservation_cancels_every_line() -> None:
    result = from_hotelrunner([hotelrunner(line("HR:1"), line("HR:2"), state="canceled")])
    assert {item.status for item in result.bookings} == {BookingStatus.CANCELLED}


def test_hotelrunner_broken_records() -> None:
    result = from_hotelrunner(
        [
            hotelrunner(hr_number="R1"),
            hotelrunner(line("HR:9"), hr_number="R2"),
            hotelrunner(line("HR:1", checkin=None), hr_number="R3", checkin=None),
            hotelrunner(line("HR:1", checkin=None), hr_number="R4", checkin=date(2026, 6, 11)),
        ],
        known_units=["HR:1"],
    )

    assert result.rejected == (
        Rejection(BookingKey(HOTELRUNNER, "R1"), RejectReason.NO_ROOMS),
        Rejection(BookingKey(HOTELRUNNER, "R2/HR:9"), RejectReason.UNKNOWN_UNIT),
        Rejection(BookingKey(HOTELRUNNER, "R3/HR:1"), RejectReason.MISSING_DATES),
    )
    [item] = result.bookings
    assert (item.key.booking_id, item.arrival) == ("R4/HR:1", date(2026, 6, 11))


async def test_duplicates_across_smoobu_pages_give_one_booking(
    session: aiohttp.ClientSession, smoobu_sim: SmoobuSimulator, smoobu_url: str
) -> None:
    for day in range(150):
        arrival = date(2026, 7, 1) + timedelta(days=day)
        smoobu_sim.add_booking(101 + day % 2, arrival, arrival + timedelta(days=2), f"Guest {day}")
    smoobu_sim.repeat_last_on_next_page = True
    client = SmoobuClient(session, SMOOBU_KEY, SMOOBU_SECRET, base_url=smoobu_url)

    raw = await client.get_reservations(arrival_from=date(2026, 7, 1))
    result = from_smoobu([*raw, raw[0]], known_units=[101, 102])

    assert smoobu_sim.count("/api/reservations") == 2
    assert len(result.bookings) == 150
    assert len({item.key for item in result.bookings}) == 150


async def test_hotelrunner_reservations_from_the_simulator(
    session: aiohttp.ClientSession, hotelrunner_sim: HotelRunnerSimulator, hotelrunner_url: str
) -> None:
    number = hotelrunner_sim.add_reservation(
        "Ali Veli", [("HR:1", A, B), ("HR:2", A, date(2026, 6, 13))], phone="+905551112233"
    )
    hotelrunner_sim.cancel_reservation(
        hotelrunner_sim.add_reservation("Ayşe Yılmaz", [("HR:1", B, date(2026, 6, 18))])
    )
    client = HotelRunnerClient(
        session, HR_TOKEN, HR_ID, budget=RequestBudget(), base_url=hotelrunner_url
    )

    result = from_hotelrunner(
        await client.get_reservations(from_date=date(2026, 6, 1)), known_units=["HR:1", "HR:2"]
    )

    by_key = {item.key.booking_id: item for item in result.bookings}
    assert by_key[f"{number}/HR:2"].departure == date(2026, 6, 13)
    assert by_key[f"{number}/HR:1"].phone == "+905551112233"
    assert [item.status for item in result.bookings].count(BookingStatus.CANCELLED) == 1


def test_a_stored_booking_out_of_range_is_dropped() -> None:
    (good,) = from_smoobu([smoobu(1)]).bookings
    assert from_dict(to_dict(good)) == good
    assert from_dict({**to_dict(good), "departure": "9999-12-31"}) is None


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Ana 👨\u200d👩\u200d👧 Family", "Ana 👨\u200d👩\u200d👧 Family"),  # one emoji, not three
        ("Pride 🏳️\u200d🌈", "Pride 🏳️\u200d🌈"),
        ("Tab\tand\nlines\u2028too", "Tab and lines too"),
        ("evil\u202egnp.exe", "evilgnp.exe"),  # a direction override would spoof the name
    ],
)
def test_names_keep_emoji_sequences_and_lose_controls(raw: str, name: str) -> None:
    (booking,) = from_smoobu([smoobu(1, guest_name=raw, firstname="", lastname="")]).bookings
    assert booking.guest_name == name
