"""What LockBridge keeps across restarts besides the journal: overrides, budgets, caches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .engine.bookings import Booking, BookingKey, from_dict, to_dict
from .engine.messages import Written
from .engine.staff import GUEST_MEMBER, Visit
from .engine.window import Override, in_range
from .models import keypad_value, parse_keypads
from .state_check import checked_parts

#: A visit over this long is let go (its code is gone by then: the grace is hours).
VISITS_KEPT = timedelta(days=7)

VERSION = 1
#: Seconds to gather changes (a budget changes on every request it counts) into one write.
SAVE_DELAY = 10
#: Bookings whose messages are remembered, and code versions per booking.
MAX_TOLD = 5000
MAX_VERSIONS = 20


def journal_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The engine journal's store (PIN memory and mutations in flight)."""
    return Store(hass, VERSION, f"{DOMAIN}.{entry_id}.journal")


def saved_moment(value: Any) -> datetime | None:
    """An aware moment kept as ISO text, in the engine's range; None when it is not one."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None or not in_range(moment.date()):
        return None
    return moment


def _past_contacts_dropped(saved: list[Any]) -> list[Any]:
    """Cached bookings, without the guest's phone and e-mail once the stay is over or off.

    Contacts serve a stay that is current or coming (messages, a PIN from the phone).
    """
    today = dt_util.now().date().isoformat()
    return [
        item | {"phone": None, "email": None}
        if isinstance(item, dict)
        and (item.get("phone") or item.get("email"))
        and (str(item.get("departure")) < today or item.get("status") != "confirmed")
        else item
        for item in saved
    ]


def _saved_bookings(bookings: list[Booking], current: Any) -> list[dict[str, Any]] | None:
    """The bookings as the file keeps them; None when that is what it holds already.

    A stamp without a zone is left out (some clouds stamp in the account's wall time, zone
    unknown); a kept booking needs none.
    """
    saved = _past_contacts_dropped(
        [
            to_dict(
                replace(booking, modified=None)
                if booking.modified is not None and booking.modified.tzinfo is None
                else booking
            )
            for booking in bookings
        ]
    )
    return None if saved == current else saved


def _visit(visit_id: str, raw: Any) -> Visit | None:
    if not isinstance(raw, dict):
        return None
    start, end = saved_moment(raw.get("start")), saved_moment(raw.get("end"))
    keypads = parse_keypads(raw.get("doors"))
    if start is None or end is None or not keypads or end <= start:
        return None
    return Visit(
        visit_id=visit_id[:16],
        member_id=str(raw.get("member") or GUEST_MEMBER)[:16],
        name=str(raw.get("name") or "")[:40],
        doors=keypads,
        start=start,
        end=end,
        revoked=raw.get("revoked") is True,
    )


class StateStore:
    """Per-booking overrides; per source its budget, bookings read, placeholders written."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._hass = hass
        self._store: Store[dict[str, Any]] = Store(hass, VERSION, f"{DOMAIN}.{entry_id}.state")
        self._data: dict[str, dict[str, Any]] = {
            "overrides": {},
            "budgets": {},
            "bookings": {},
            "released": {},
            # Placeholders written, per source: booking id -> key -> [id, digest].
            "placeholders": {},
            # Guest messages sent: booking key -> digests of the code versions told.
            "messages": {},
            # When a source last read what it keeps in "bookings", and what it skipped.
            "reads": {},
            # The Keys token and when it expires: a restart does not log in again.
            "session": {},
            # Dated staff visits (grant_access): visit id -> member, name, doors, window.
            "visits": {},
        }
        #: Changes with every override set, so that views built on them know to rebuild.
        self.overrides_revision = 0
        #: Something changed since the last write (flush writes only then).
        self._unsaved = False

    async def load(self) -> None:
        """Read the saved state; each unreadable value is dropped alone, never fatal."""
        saved = await self._store.async_load()
        self._data.update(checked_parts(saved, self._data))
        cached = self._data["bookings"]
        for subentry_id, items in list(cached.items()):
            if isinstance(items, list) and (kept := _past_contacts_dropped(items)) != items:
                cached[subentry_id] = kept
                self.schedule_save()

    def overrides(self) -> dict[BookingKey, Override]:
        """Early check-ins and late check-outs set through the action."""
        found = {}
        for text, raw in self._data["overrides"].items():
            source, _, booking_id = str(text).partition(":")
            if booking_id and isinstance(raw, dict):
                found[BookingKey(source, booking_id)] = Override(
                    check_in=saved_moment(raw.get("check_in")),
                    check_out=saved_moment(raw.get("check_out")),
                )
        return found

    def set_override(self, key: BookingKey, override: Override | None) -> None:
        """Keep (or with None, forget) a booking's override."""
        if override is None:
            self._data["overrides"].pop(str(key), None)
        else:
            self._data["overrides"][str(key)] = {
                "check_in": override.check_in.isoformat() if override.check_in else None,
                "check_out": override.check_out.isoformat() if override.check_out else None,
            }
        self.overrides_revision += 1
        self.schedule_save()

    def released(self) -> frozenset[BookingKey]:
        """Bookings whose codes the host let go at once, until those codes would have ended."""
        now = dt_util.utcnow()
        return frozenset(
            BookingKey(*text.split(":", 1))
            for text, until in self._data["released"].items()
            if ":" in str(text) and (moment := saved_moment(until)) is not None and moment > now
        )

    def release(self, keys: Mapping[BookingKey, datetime]) -> None:
        """Let these bookings' codes go now, though a unit-map change would keep them."""
        now = dt_util.utcnow()
        kept = {
            text: until
            for text, until in self._data["released"].items()
            if (moment := saved_moment(until)) is not None and moment > now
        }
        kept.update({str(key): until.isoformat() for key, until in keys.items()})
        self._data["released"] = kept
        self.schedule_save()

    def visits(self) -> dict[str, Visit]:
        """The staff visits granted and not long over; each unreadable one left out."""
        found = {}
        for visit_id, raw in self._data["visits"].items():
            if (visit := _visit(str(visit_id), raw)) is not None:
                found[visit.visit_id] = visit
        return found

    def set_visit(self, visit: Visit) -> None:
        """Keep a visit (a new one, or one revoked); those a week over are let go."""
        horizon = dt_util.utcnow() - VISITS_KEPT
        self._data["visits"] = {
            visit_id: raw
            for visit_id, raw in self._data["visits"].items()
            if (kept := _visit(str(visit_id), raw)) is not None and kept.end > horizon
        } | {
            visit.visit_id: {
                "member": visit.member_id,
                "name": visit.name,
                "doors": [keypad_value(door) for door in visit.doors],
                "start": visit.start.isoformat(),
                "end": visit.end.isoformat(),
                "revoked": visit.revoked,
            }
        }
        self.overrides_revision += 1
        self.schedule_save()

    def budget(self, subentry_id: str) -> dict[str, Any] | None:
        """A source's saved request budget."""
        saved = self._data["budgets"].get(subentry_id)
        return saved if isinstance(saved, dict) else None

    def set_budget(self, subentry_id: str, state: dict[str, Any]) -> None:
        """Keep a source's request budget."""
        self._data["budgets"][subentry_id] = state
        self.schedule_save()

    def bookings(self, subentry_id: str) -> list[Booking]:
        """The bookings a source told us about and cannot list again."""
        saved = self._data["bookings"].get(subentry_id)
        items = saved if isinstance(saved, list) else []
        return [booking for item in items if (booking := from_dict(item)) is not None]

    def set_bookings(self, subentry_id: str, bookings: list[Booking]) -> None:
        """Keep a source's bookings."""
        saved = _saved_bookings(bookings, self._data["bookings"].get(subentry_id))
        if saved is not None:
            self._data["bookings"][subentry_id] = saved
            self.schedule_save()

    async def async_set_bookings(self, subentry_id: str, bookings: list[Booking]) -> None:
        """As `set_bookings`, thousands of bookings made into JSON values off the event loop."""
        saved = await self._hass.async_add_executor_job(
            _saved_bookings, bookings, self._data["bookings"].get(subentry_id)
        )
        if saved is not None:
            self._data["bookings"][subentry_id] = saved
            self.schedule_save()

    def read_marks(self, subentry_id: str) -> dict[str, Any]:
        """A source's saved read stamps (datetimes, unreadable ones left out) and notes."""
        saved = self._data["reads"].get(subentry_id)
        marks = saved if isinstance(saved, dict) else {}
        return {
            key: saved_moment(value) if key.endswith("_at") else value
            for key, value in marks.items()
            if not key.endswith("_at") or saved_moment(value) is not None
        }

    def set_read_marks(
        self, subentry_id: str, marks: Mapping[str, Any], *, write: bool = True
    ) -> None:
        """Keep a source's read stamps (datetimes) and notes (JSON values).

        With `write` False they are only held, and go with the next write of anything.
        """
        saved = {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in marks.items()
        }
        if self._data["reads"].get(subentry_id) != saved:
            self._data["reads"][subentry_id] = saved
            if write:
                self.schedule_save()
            else:
                self._unsaved = True  # written with the next write, or at the unload

    def token(self, login: str) -> tuple[str, datetime] | None:
        """The Keys token kept for this login (see `clients.login_digest`), with its expiry.

        None when there is none, it is unreadable or it was another login's (a changed
        account or server must not go on with the old one's token).
        """
        session = self._data["session"]  # its types and bounds checked at load (state_check)
        expires = saved_moment(session.get("expires_at"))
        return (session["token"], expires) if session.get("login") == login and expires else None

    def set_token(self, login: str, token: str, expires: datetime) -> None:
        """Keep The Keys token; written when it changed (a new login), not every cycle."""
        session = self._data["session"]
        if session.get("token") != token or session.get("login") != login:
            self._data["session"] = {
                "login": login,
                "token": token,
                "expires_at": expires.isoformat(),
            }
            self.schedule_save()

    def placeholders(self, subentry_id: str) -> dict[int, dict[str, Written]]:
        """The placeholders a source wrote (digests of their values, not the PINs)."""
        found: dict[int, dict[str, Written]] = {}
        saved = self._data["placeholders"].get(subentry_id)
        for booking_id, keys in (saved if isinstance(saved, dict) else {}).items():
            if not str(booking_id).isdigit() or not isinstance(keys, dict):
                continue
            found[int(booking_id)] = {
                str(key): Written(item[0] if isinstance(item[0], int) else None, str(item[1]))
                for key, item in keys.items()
                if isinstance(item, list) and len(item) == 2
            }
        return found

    def set_placeholders(self, subentry_id: str, written: dict[int, dict[str, Written]]) -> None:
        """Keep what a source wrote."""
        saved = {
            str(booking_id): {key: [item.placeholder_id, item.digest] for key, item in keys.items()}
            for booking_id, keys in written.items()
            if keys
        }
        if self._data["placeholders"].get(subentry_id) != saved:
            self._data["placeholders"][subentry_id] = saved
            self.schedule_save()

    def message_sent(self, key: BookingKey, version: str) -> bool:
        """True when this code version of the booking was told to its guest already."""
        return version in self._data["messages"].get(str(key), [])

    def note_message(self, key: BookingKey, version: str) -> None:
        """Remember a message sent (kept until the booking's stay is forgotten)."""
        sent = self._data["messages"]
        sent[str(key)] = [*sent.pop(str(key), [])[-(MAX_VERSIONS - 1) :], version]
        while len(sent) > MAX_TOLD:  # the oldest stays are long over
            del sent[next(iter(sent))]
        self.schedule_save()

    def forget_message(self, key: BookingKey, version: str) -> None:
        """A message that was refused: it may be sent again."""
        told = self._data["messages"].get(str(key), [])
        if version in told:
            told.remove(version)
            self.schedule_save()

    def forget(self, subentry_ids: set[str]) -> None:
        """Drop what belongs to sources that no longer exist."""
        gone = False
        for part in ("budgets", "bookings", "placeholders", "reads"):
            for subentry_id in set(self._data[part]) - subentry_ids:
                del self._data[part][subentry_id]
                gone = True
        if gone:
            self.schedule_save()

    def schedule_save(self) -> None:
        """Write soon, in one go."""
        self._unsaved = True
        self._store.async_delay_save(self._to_save, SAVE_DELAY)

    def _to_save(self) -> dict[str, dict[str, Any]]:
        self._unsaved = False
        return self._data

    async def flush(self) -> None:
        """Write now (on unload) what is not written yet, cancelling a pending delayed write.

        Nothing new, no write: thousands of kept bookings make it megabytes.
        """
        if self._unsaved:
            await self._store.async_save(self._to_save())

    async def remove(self) -> None:
        """Delete the file (the entry is being removed)."""
        await self._store.async_remove()

    def as_dict(self) -> dict[str, Any]:
        """The raw state, for diagnostics (redacted there)."""
        return self._data
