"""The sync's heavy steps, each a job for a worker thread: what is wanted, and the plan."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from ..api import AccessCode
from ..engine.bookings import BookingKey, Rejection, RejectReason, UnitKey
from ..engine.grants import with_staff
from ..engine.plan import Desired, Plan, Settings, SourceSnapshot, UnitConfig, build_desired, plan
from ..engine.staff import Grant, RuleKind, Staff
from ..engine.window import Override
from ..sources.base import SourceData


def desired_job(
    sources: list[tuple[str, str, bool, bool, SourceData | None]],
    held: frozenset[UnitKey],
    units: Mapping[UnitKey, UnitConfig],
    *,
    zones: Mapping[int, ZoneInfo],
    default_zone: ZoneInfo,
    settings: Settings,
    overrides: Mapping[BookingKey, Override],
    owner: str,
    released: frozenset[BookingKey],
    staff: Staff,
    now: datetime,
) -> Desired:
    """The sources' bookings as snapshots, then the codes they and the staff rules want."""
    snapshots: dict[str, SourceSnapshot] = {}
    for source_id, kind, legacy, answered, data in sources:
        found = data.bookings if data else ()
        # One snapshot per source instance: each speaks for the codes it made only.
        snapshots[source_id] = SourceSnapshot(
            data is not None and answered,
            tuple(booking for booking in found if booking.unit not in held),
            (data.rejected if data else ())
            + tuple(
                Rejection(booking.key, RejectReason.UNKNOWN_UNIT)
                for booking in found
                if booking.unit in held
            ),
            kind=kind,
            legacy=legacy,
        )
    guests = build_desired(
        snapshots,
        units,
        zones=zones,
        default_zone=default_zone,
        settings=settings,
        overrides=overrides,
        owner=owner,
        released=released,
    )
    return with_staff(guests, staff, now)


def plan_job(
    desired: Callable[[], Desired],
    codes: Mapping[int, tuple[AccessCode, ...]],
    now: datetime,
    pins: Mapping[BookingKey, str],
    randbelow: Callable[[int], int],
) -> tuple[Desired, Plan]:
    """The codes wanted, and the plan that brings the keypads there (in a worker thread)."""
    wanted = desired()
    return wanted, plan(wanted, codes, now, pins=pins, randbelow=randbelow)


def turnovers_by_unit(grants: Iterable[Grant]) -> dict[UnitKey, tuple[Grant, ...]]:
    """The turnover codes of each unit, by person (what the unit's day shows)."""
    found: dict[UnitKey, list[Grant]] = defaultdict(list)
    for grant in grants:
        if grant.kind is RuleKind.TURNOVER and grant.unit is not None:
            found[grant.unit].append(grant)
    return {
        unit: tuple(sorted(items, key=lambda g: (g.start is None, g.start, g.person)))
        for unit, items in found.items()
    }
