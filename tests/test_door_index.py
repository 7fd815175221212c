"""The door watch's index: the stays near now, and those whose check-in was moved."""

from __future__ import annotations

from datetime import time, timedelta

from custom_components.lockbridge.activity.index import DoorIndex, UnitStays
from custom_components.lockbridge.engine.bookings import UnitKey
from custom_components.lockbridge.engine.occupancy import UnitStay
from custom_components.lockbridge.engine.plan import KeypadRef
from custom_components.lockbridge.models import Unit
from tests.engine.test_arrivals import at, stay


def test_a_check_in_moved_a_day_early_is_still_found_near_its_arrival_day() -> None:
    lars, zoe = stay("1", 20, 23), stay("2", 23, 27)
    early = stay("3", 25, 28)
    moved = UnitStay(early.booking, at(24, 10), early.end, at(24, 10), early.check_out)
    keypad = KeypadRef(3701, "Kp7Lm2Qa")
    loft = Unit(UnitKey("smoobu", "101"), "Seaside Loft", "s", "s_101", keypad, time(15), time(11))
    unit = UnitStays(loft, 3701, (lars, zoe, moved))
    index = DoorIndex([unit], at(22, 12))

    near = index.checking_in(at(25, 0) - timedelta(hours=1))
    assert [row[1].booking.key.booking_id for row in near] == ["3"]
    assert [row[1].booking.key.booking_id for row in index.checking_in(at(22, 0))] == ["2", "3"]
    assert [r[1].booking.key.booking_id for r in index.checking_in(at(20, 0), at(23, 15))] == [
        "1",
        "2",
    ]
    assert [row[1].booking.key.booking_id for row in index.begun(at(23, 14))] == ["1", "2"]
