"""What the bookings say the keypads should hold: the sync's inputs, and `build_desired`.

Pure: no I/O. A confirmed stay on a managed unit becomes a `Stay` (its keypad, window, name
and tag); a cancelled or blocked booking, or one on a unit no longer managed, a `Removal`;
a broken record holds its codes as they are. `plan` compares the result with the keypads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from ..api.models import CodeFields
from .bookings import (
    Booking,
    BookingKey,
    BookingStatus,
    KeypadRef,
    Normalised,
    Rejection,
    UnitKey,
)
from .ownership import NO_OWNER, code_name, tag
from .staff import Grant, Staff, Verdict
from .window import Override, TimePolicy, Validity, stay_times, validity

DEFAULT_HORIZON = timedelta(days=90)
DEFAULT_GRACE = timedelta(days=1)


# Here rather than in `actions`: a `Removal` carries one too.
class Reason(StrEnum):
    """Why an action is planned (also the translation key of the reason)."""

    NEW_BOOKING = "new_booking"
    WINDOW_CHANGED = "window_changed"
    NAME_CHANGED = "name_changed"
    DETAILS_CHANGED = "details_changed"
    UNIT_MOVED = "unit_moved"
    OLD_SCRIPT_CODE = "old_script_code"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"
    UNIT_NOT_MANAGED = "unit_not_managed"
    ENDED = "ended"
    DUPLICATE = "duplicate"
    #: Another door of the stay has its PIN (regenerated there): this door follows.
    PIN_CHANGED = "pin_changed"
    # A staff code's rule said so (engine/staff.py, `Verdict`).
    STAFF_REMOVED = Verdict.STAFF_REMOVED.value
    RULE_REMOVED = Verdict.RULE_REMOVED.value
    REVOKED = Verdict.REVOKED.value


class PinMethod(StrEnum):
    """How a new code's PIN is chosen."""

    RANDOM = "random"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class UnitConfig:
    """A managed unit: its doors and how its stays become windows."""

    #: The unit's first door, whose lock's time zone is the unit's.
    keypad: KeypadRef
    policy: TimePolicy = field(default_factory=TimePolicy)
    #: More doors: a building door, a shared entrance. Each stay's PIN opens all of them.
    doors: tuple[KeypadRef, ...] = ()

    @property
    def keypads(self) -> tuple[KeypadRef, ...]:
        """Every door of the unit, the first one first."""
        return (self.keypad, *(door for door in self.doors if door != self.keypad))


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Account-wide options."""

    pin_length: int = 4
    pin_method: PinMethod = PinMethod.RANDOM
    #: Source -> code name prefix; the default is the source's name, as the old script did.
    prefixes: Mapping[str, str] = field(default_factory=dict)
    horizon: timedelta = DEFAULT_HORIZON
    grace: timedelta = DEFAULT_GRACE

    def prefix(self, source: str) -> str:
        """The code name prefix for a source."""
        return self.prefixes.get(source, source)


@dataclass(frozen=True, slots=True)
class SourceSnapshot:
    """A source's bookings this cycle; `ok` is False when they are last cycle's, kept."""

    ok: bool
    bookings: tuple[Booking, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    #: The source's kind, as its bookings' keys name it; by default its id (one source of
    #: a kind).
    kind: str = ""
    #: Its bookings may have codes made by the replaced cron script: tagged `<Kind>#<id>`
    #: (the kind capitalised) or named `<kind> <guest>`. Those are adopted, not foreign.
    legacy: bool = False

    @classmethod
    def answered(cls, normalised: Normalised, *, legacy: bool = False) -> SourceSnapshot:
        """A complete answer received this cycle."""
        return cls(True, normalised.bookings, normalised.rejected, legacy=legacy)

    @property
    def empty(self) -> bool:
        """Nothing at all came back, not even cancellations or broken records."""
        return not self.bookings and not self.rejected


@dataclass(frozen=True, slots=True)
class Stay:
    """The code a confirmed booking on a managed unit should have."""

    booking: Booking
    keypad: KeypadRef
    name: str
    start: datetime
    end: datetime
    validity: Validity
    #: The ownership tag its code carries.
    description: str
    #: Every door of its unit, the first one `keypad`.
    keypads: tuple[KeypadRef, ...] = ()
    #: The guest's own times (the window adds the unit's buffers): a turnover's bounds.
    check_in: datetime | None = None
    check_out: datetime | None = None

    @property
    def key(self) -> BookingKey:
        """The booking's key."""
        return self.booking.key

    @property
    def unit(self) -> UnitKey:
        """The booking's unit."""
        return self.booking.unit

    @property
    def pin(self) -> None:
        """A guest has no PIN of their own (staff may: `Grant.pin`)."""
        return None

    def code_fields(self, pin: str, *, notify: bool = False) -> CodeFields:
        """The full field set of this stay's code."""
        return CodeFields(
            name=self.name,
            pin=pin,
            start_date=self.validity.start_date,
            start_time=self.validity.start_time,
            end_date=self.validity.end_date,
            end_time=self.validity.end_time,
            description=self.description,
            active=True,
            notify=notify,
        )


@dataclass(frozen=True, slots=True)
class Removal:
    """A booking whose codes must go, and why."""

    reason: Reason
    booking: Booking


@dataclass(frozen=True, slots=True)
class Desired:
    """Everything the bookings say the keypads should hold."""

    stays: Mapping[BookingKey, Stay]
    #: Bookings whose codes must go: cancelled, blocked, or on a unit no longer managed.
    removed: Mapping[BookingKey, Removal]
    #: Broken records: their codes are left as they are until the record is readable.
    held: frozenset[BookingKey]
    sources: Mapping[str, SourceSnapshot]
    zones: Mapping[int, ZoneInfo]
    default_zone: ZoneInfo
    settings: Settings
    #: This installation and account, as their codes' tags name them.
    owner: str = NO_OWNER
    #: Bookings whose codes the host let go now, though a unit-map change would keep them.
    released: frozenset[BookingKey] = frozenset()
    #: The codes staff rules want (engine/grants.py), and the rules that speak for them.
    grants: Mapping[BookingKey, Grant] = field(default_factory=dict)
    staff: Staff = field(default_factory=Staff)
    #: The managed units, whose doors staff rules open too.
    units: Mapping[UnitKey, UnitConfig] = field(default_factory=dict)

    def zone(self, lock_id: int) -> ZoneInfo:
        """A lock's time zone, falling back to Home Assistant's."""
        return self.zones.get(lock_id, self.default_zone)


def lock_zones(locks: Mapping[int, str | None]) -> dict[int, ZoneInfo]:
    """Lock id -> time zone, for the locks whose zone name is known and valid."""
    zones: dict[int, ZoneInfo] = {}
    for lock_id, name in locks.items():
        try:
            zones[lock_id] = ZoneInfo(name or "")
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            continue
    return zones


def build_desired(
    sources: Mapping[str, SourceSnapshot],
    units: Mapping[UnitKey, UnitConfig],
    *,
    zones: Mapping[int, ZoneInfo],
    default_zone: ZoneInfo,
    settings: Settings | None = None,
    overrides: Mapping[BookingKey, Override] | None = None,
    owner: str = NO_OWNER,
    released: frozenset[BookingKey] = frozenset(),
) -> Desired:
    """Turn the sources' bookings into the codes the keypads should hold.

    `sources` are keyed by source id: each source instance's codes are tagged with it.
    """
    settings = settings or Settings()
    overrides = overrides or {}
    stays: dict[BookingKey, Stay] = {}
    removed: dict[BookingKey, Removal] = {}
    held: set[BookingKey] = set()
    for source_id, snapshot in sources.items():
        held.update(item.key for item in snapshot.rejected)
        for booking in snapshot.bookings:
            unit = units.get(booking.unit)
            if booking.status is BookingStatus.CANCELLED:
                removed[booking.key] = Removal(Reason.CANCELLED, booking)
            elif booking.status is BookingStatus.BLOCKED:
                removed[booking.key] = Removal(Reason.BLOCKED, booking)
            elif unit is None:
                removed[booking.key] = Removal(Reason.UNIT_NOT_MANAGED, booking)
            else:
                zone = zones.get(unit.keypad.lock_id, default_zone)
                times = stay_times(
                    booking.arrival,
                    booking.departure,
                    zone,
                    unit.policy,
                    booking_check_in=booking.check_in,
                    booking_check_out=booking.check_out,
                    override=overrides.get(booking.key),
                )
                stays[booking.key] = Stay(
                    booking=booking,
                    keypad=unit.keypad,
                    name=code_name(settings.prefix(booking.key.source), booking.guest_name),
                    start=times.start,
                    end=times.end,
                    validity=validity(times.start, times.end, zone),
                    description=tag(booking.key, owner, source_id),
                    keypads=unit.keypads,
                    check_in=times.check_in,
                    check_out=times.check_out,
                )
    return Desired(
        stays=stays,
        removed=removed,
        held=frozenset(held),
        sources=sources,
        zones=zones,
        default_zone=default_zone,
        settings=settings,
        owner=owner,
        released=released,
        units=units,
    )
