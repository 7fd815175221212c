"""What the entities show, worked out once per data update.

Entities read their values through these indexes: a property never scans every booking or
every code (hundreds of entities x thousands of bookings would hold the event loop for seconds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..api import AccessCode, Lock
from ..engine.bookings import Booking, BookingKey, BookingStatus, UnitKey
from ..engine.occupancy import UnitStay
from ..engine.ownership import owned_key
from ..engine.plan import code_end, lock_zones
from ..engine.staff import STAFF
from ..engine.window import Override, stay_times
from ..models import Unit, settings_from


@dataclass(frozen=True, slots=True)
class UnitView:
    """A unit now: its stays with windows, and whether its source's data is stale."""

    unit: Unit
    stays: tuple[UnitStay, ...]
    stale: bool


@dataclass(frozen=True, slots=True)
class SourceView:
    """A source's part of the inputs: its id, bookings and freshness."""

    subentry_id: str
    bookings: tuple[Booking, ...]
    stale: bool


@dataclass(frozen=True, slots=True)
class Views:
    """Indexes over one data update: units' stays, locks, and our codes by booking."""

    units: Mapping[str, UnitView]
    locks: Mapping[int, Lock]
    zones: Mapping[int, ZoneInfo]
    #: Our code of each booking (the first one listed, should a keypad hold two).
    codes: Mapping[BookingKey, AccessCode]
    #: Code id -> the booking it is ours for.
    bookings_of_codes: Mapping[int, BookingKey]
    #: Bookings whose code change failed in the last sync (retried at the next).
    failed: frozenset[BookingKey] = frozenset()
    #: Every stay's start, end, check-in and check-out, sorted: the moments an entity's
    #: state may change with nothing else changing.
    moments: tuple[datetime, ...] = ()
    #: Each staff rule's code ids (a cleaner's code seen at the door).
    staff_codes: Mapping[BookingKey, frozenset[int]] = field(default_factory=dict)


def build_views(
    units: Iterable[Unit],
    sources: Iterable[SourceView],
    locks: Iterable[Lock],
    codes: Mapping[int, Iterable[AccessCode]],
    *,
    options: Mapping[str, Any],
    overrides: Mapping[BookingKey, Override],
    owner: str,
    default_zone: ZoneInfo,
    failed: Iterable[BookingKey] = (),
) -> Views:
    """One pass over the bookings and one over the codes."""
    by_id = {lock.id: lock for lock in locks}
    zones = lock_zones({lock.id: lock.timezone for lock in by_id.values()})
    confirmed: dict[tuple[str, UnitKey], list[Booking]] = defaultdict(list)
    stale: dict[str, bool] = {}
    for source in sources:
        stale[source.subentry_id] = source.stale
        for booking in source.bookings:
            if booking.status is BookingStatus.CONFIRMED:
                confirmed[(source.subentry_id, booking.unit)].append(booking)
    views = {}
    #: The unit's day (engine/arrivals.py) turns at local midnight too.
    midnights: set[datetime] = set()
    for unit in units:
        config = unit.config(options)
        zone = zones.get(config.keypad.lock_id, default_zone) if config else default_zone
        stays = []
        for booking in confirmed.get((unit.subentry_id, unit.key), ()):
            times = stay_times(
                booking.arrival,
                booking.departure,
                zone,
                config.policy if config else None,
                booking_check_in=booking.check_in,
                booking_check_out=booking.check_out,
                override=overrides.get(booking.key),
            )
            stays.append(UnitStay(booking, times.start, times.end, times.check_in, times.check_out))
            midnights.add(datetime.combine(booking.arrival, time(0), zone))
            midnights.add(datetime.combine(booking.departure + timedelta(days=1), time(0), zone))
        stays.sort(key=lambda stay: stay.start)
        views[unit.unique_id] = UnitView(unit, tuple(stays), stale.get(unit.subentry_id, True))
    ours: dict[BookingKey, AccessCode] = {}
    keys: dict[int, BookingKey] = {}
    staff: dict[BookingKey, set[int]] = defaultdict(set)
    for items in codes.values():
        for code in items:
            if (key := owned_key(code.description, owner)) is not None:
                keys[code.id] = key
                ours.setdefault(key, code)
                if key.source == STAFF:
                    staff[key].add(code.id)
    # And when the plan's answer changes with time alone: a code made a horizon before its
    # stay, removed a grace after its end (its stay's, or its own for a code left over).
    settings = settings_from(options)
    ends = (
        code_end(code, zones.get(code.lock_id, default_zone))
        for items in codes.values()
        for code in items
        if code.id in keys
    )
    moments = sorted(
        {
            moment
            for view in views.values()
            for stay in view.stays
            for moment in (
                stay.start,
                stay.end,
                stay.check_in,
                stay.check_out,
                stay.start - settings.horizon,
                stay.end + settings.grace,
            )
        }
        | {end + settings.grace for end in ends if end is not None}
        | midnights
    )
    return Views(
        views,
        by_id,
        zones,
        ours,
        keys,
        frozenset(failed),
        tuple(moments),
        {key: frozenset(ids) for key, ids in staff.items()},
    )
