"""Smoobu: holiday-rental bookings, polled for changes, pushed by its webhook, and messages.

Its coordinator reads the bookings changed since the last poll (a full read every few hours),
its webhook's calls ask for that read at once, its flow takes an API key (and the secret
that signs requests), and its placeholders and guest messages carry the PIN to the guest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from contextlib import suppress
from datetime import date, datetime, timedelta
from http import HTTPStatus
import json
import re
from typing import TYPE_CHECKING, Any, Final, cast

from aiohttp import web
from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util

from ..api import ListingIncompleteError, SmoobuClient, SmoobuReservation
from ..api.smoobu import DEFAULT_BASE_URL
from ..const import DOMAIN, LOGGER
from ..engine.bookings import (
    Booking,
    BookingKey,
    BookingStatus,
    Collector,
    Normalised,
    Rejection,
    RejectReason,
    clean_text,
    full_name,
)
from ..forms import password_selector
from ..repairs import Issues
from ..storage import StateStore
from .base import SourceCoordinator
from .flow import SourceFlow
from .push import Handler
from .smoobu_placeholders import (
    CONF_ACCESS_KEY,
    CONF_PIN_KEY,
    CONF_PLACEHOLDERS,
    DEFAULT_ACCESS_KEY,
    DEFAULT_PIN_KEY,
    PlaceholderWriter,
)

if TYPE_CHECKING:
    import probatio as vol

    from ..sync.coordinator import SyncCoordinator
else:
    import voluptuous as vol

KIND: Final = "smoobu"
CONF_API_KEY: Final = "api_key"
CONF_API_SECRET: Final = "api_secret"  # noqa: S105  # a config key
CONF_URL: Final = "smoobu_url"
CONF_INTERVAL: Final = "smoobu_interval"
#: A placeholder key as written in Smoobu's templates, "[lockbridge_pin]".
PLACEHOLDER_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
#: Repairs: an unsigned API key (a signing secret is recommended).
LEGACY_KEY_ISSUE: Final = "smoobu_legacy_key"
#: The translation key of the refusal to message a booking of a source that cannot.
NO_MESSAGES_ERROR: Final = "messages_need_smoobu"
#: Skipped bookings kept across a restart (shown in "sync problem" until read again).
MAX_SAVED_REJECTED = 500
#: Smoobu is read whole this often (and at each new day); polls between ask for changes.
FULL_READ_EVERY = timedelta(hours=3)
#: Smoobu's calls about bookings; every other action (rates, messages...) is answered and
#: ignored (push-and-messaging.md, M).
BOOKING_ACTIONS = frozenset(
    {"newReservation", "updateReservation", "cancelReservation", "deleteReservation"}
)


def smoobu_client(hass: HomeAssistant, data: Any) -> SmoobuClient:
    """Smoobu, from a source's data (signed when it has a secret)."""
    return SmoobuClient(
        async_get_clientsession(hass),
        data[CONF_API_KEY],
        data.get(CONF_API_SECRET) or None,
        base_url=data.get(CONF_URL) or DEFAULT_BASE_URL,
    )


def from_smoobu(
    reservations: Iterable[SmoobuReservation], known_units: Collection[str | int] | None = None
) -> Normalised:
    """Smoobu bookings, cancellations and blocked periods.

    `known_units` are the account's apartment ids; a booking elsewhere is rejected.
    """
    out = Collector(known_units)
    for item in reservations:
        key = BookingKey(KIND, str(item.id))
        if item.is_blocked:
            status = BookingStatus.BLOCKED
        elif item.is_cancelled:
            status = BookingStatus.CANCELLED
        else:
            # "reservation" and "modification of booking" are both live stays.
            status = BookingStatus.CONFIRMED
        out.add(
            key,
            None if item.apartment_id is None else str(item.apartment_id),
            item.arrival,
            item.departure,
            status,
            full_name(item.guest_name, item.firstname, item.lastname),
            first_name=clean_text(item.firstname),
            last_name=clean_text(item.lastname),
            phone=item.phone,
            email=item.email,
            language=item.language,
            adults=item.adults,
            children=item.children,
            check_in=item.check_in,
            check_out=item.check_out,
            channel=item.channel_name,
            modified=item.modified_at,
        )
    return out.result()


class SmoobuFlow(SourceFlow):
    """A Smoobu account."""

    url_key = CONF_URL
    default_url = DEFAULT_BASE_URL
    secret_keys = (CONF_API_KEY, CONF_API_SECRET)
    kept_keys = (*SourceFlow.kept_keys, CONF_PLACEHOLDERS, CONF_PIN_KEY, CONF_ACCESS_KEY)

    def push_schema(self) -> vol.Schema:
        """The PIN in Smoobu's messages: off by default, under keys the host may rename."""
        key = TextSelector(TextSelectorConfig(type=TextSelectorType.TEXT))
        return vol.Schema(
            {
                vol.Required(CONF_PLACEHOLDERS, default=False): BooleanSelector(),
                vol.Required(CONF_PIN_KEY, default=DEFAULT_PIN_KEY): key,
                vol.Required(CONF_ACCESS_KEY, default=DEFAULT_ACCESS_KEY): key,
            }
        )

    def push_errors(self, answer: dict[str, Any]) -> dict[str, str]:
        """Keys as Smoobu's templates write them: letters, digits and _, two different ones."""
        errors = {
            key: "invalid_placeholder_key"
            for key in (CONF_PIN_KEY, CONF_ACCESS_KEY)
            if not PLACEHOLDER_KEY.fullmatch(str(answer.get(key, "")))
        }
        if not errors and answer[CONF_PIN_KEY] == answer[CONF_ACCESS_KEY]:
            errors[CONF_ACCESS_KEY] = "same_placeholder_key"
        return errors

    def credentials_schema(self) -> vol.Schema:
        """API key, and the secret that signs requests."""
        return vol.Schema(
            {
                vol.Required(CONF_API_KEY): password_selector(),
                vol.Optional(CONF_API_SECRET): password_selector(),
            }
        )

    async def check(self, data: dict[str, Any]) -> None:
        """The account behind the key, and its apartments."""
        client = smoobu_client(self.hass, data)
        user = await client.get_me()
        apartments = await client.get_apartments()
        self._unique_id = f"{KIND}-{user.id}"
        self._title = f"Smoobu {user.name}".strip()
        self._units = [(str(apartment.id), apartment.name) for apartment in apartments]


class SmoobuCoordinator(SourceCoordinator):
    """Smoobu: the bookings changed since the last poll, every few minutes.

    A full read (every booking around the sync window) comes first, then every few hours
    and at each new day (stays entering the horizon); between them a poll asks only for
    the bookings modified since the one before, mostly a single page.
    """

    kind = KIND
    manufacturer = "Smoobu"
    unit_model = "apartment"
    interval_option = CONF_INTERVAL
    interval_default = 5
    interval_range = (1, 60)
    flow = SmoobuFlow
    can_message = True
    legacy_script = True

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        issues: Issues,
        state: StateStore,
    ) -> None:
        super().__init__(hass, entry, subentry, issues, state)
        self.client = smoobu_client(hass, subentry.data)
        self._known: dict[BookingKey, Booking] = {}
        self._rejected: dict[BookingKey, Rejection] = {}
        #: When the last full read and the last successful poll started.
        self._full_at: datetime | None = None
        self._polled_at: datetime | None = None
        #: Bookings named by calls that named the account. Such a call counts as a push (and
        #: slows polling) only once the read it brings finds its booking changed or known:
        #: a forged call cannot make the safety net slow down.
        self.claimed: set[str] = set()
        self._restore()

    def _restore(self) -> None:
        """What the last run read: after a restart only what changed since is read again.

        Taken only as it was saved: its read stamps, in the past, with the bookings. A full
        read is then due when it would have been anyway (every few hours, each new day).
        """
        subentry_id = self.subentry.subentry_id
        marks = self.state.read_marks(subentry_id)
        full, polled, now = marks.get("full_at"), marks.get("polled_at"), dt_util.utcnow()
        if not (isinstance(full, datetime) and isinstance(polled, datetime)):
            return
        if full > now or polled > now or polled < full:
            return  # a clock that went back: read it all again
        if marks.get("range") != _range_text(self.fetch_range()):
            return  # the horizon or grace changed (or the day): what was read may not cover it
        self._known = {booking.key: booking for booking in self.state.bookings(subentry_id)}
        self._rejected = {
            item.key: item
            for item in _rejections(marks.get("rejected"))
            if item.key not in self._known
        }
        self._full_at, self._polled_at = full, polled
        cut = marks.get("cut_short")
        self.cut_short = str(cut)[:200] if cut else None

    async def _save(self, changed: bool) -> None:
        """Keep what was read (the bookings only when they changed: thousands are a write)."""
        subentry_id = self.subentry.subentry_id
        if changed:
            await self.state.async_set_bookings(subentry_id, list(self._known.values()))
        marks = {
            "full_at": self._full_at,
            "polled_at": self._polled_at,
            "cut_short": self.cut_short,
            "range": _range_text(self.fetch_range()),
            "rejected": [
                [str(item.key), str(item.reason)]
                for item in list(self._rejected.values())[:MAX_SAVED_REJECTED]
            ],
        }
        # A poll that found nothing new is not a write: a restart from an older poll stamp
        # only reads a little more.
        saved = self.state.read_marks(subentry_id)
        news = changed or any(saved.get(k) != v for k, v in marks.items() if k != "polled_at")
        self.state.set_read_marks(subentry_id, marks, write=news)

    def _full_read_due(self, now: datetime) -> bool:
        last = self._full_at
        return (
            last is None
            or now - last >= FULL_READ_EVERY
            or dt_util.as_local(last).date() != dt_util.as_local(now).date()
        )

    async def fetch(self) -> tuple[tuple[Booking, ...], tuple[Rejection, ...]]:
        """The bookings departing since the grace began and arriving within the horizon."""
        if self.client.signed:
            self.issues.clear(LEGACY_KEY_ISSUE, self.subentry.subentry_id)
        else:
            self.issues.raise_issue(
                LEGACY_KEY_ISSUE,
                self.subentry.subentry_id,
                placeholders={"source": self.subentry.title},
            )
        # Claims made during this read wait for the next one (the debouncer brings it).
        claimed, self.claimed = self.claimed, set()
        before = dict(self._known)  # the incremental path updates it in place
        known = self._known.keys() | self._rejected.keys()
        now = dt_util.utcnow()
        first, last = self.fetch_range()
        polled = self._polled_at
        if polled is None or self._full_read_due(now):
            found, cut = await self._listing(
                self.client.get_reservations(departure_from=first, arrival_to=last)
            )
            if cut is None:
                self._known, self._rejected = {}, {}
            # Cut short, what was known stays besides what was read: absence proves nothing.
            for booking in found.bookings:
                self._rejected.pop(booking.key, None)
                self._known[booking.key] = booking
            for item in found.rejected:
                self._known.pop(item.key, None)
                self._rejected[item.key] = item
            self.cut_short = cut
            self._full_at = now
        else:
            # Dates only, stamped in the account's time zone: a day's overlap covers any.
            since = (polled - timedelta(days=1)).date()
            found, cut = await self._listing(self.client.get_reservations(modified_from=since))
            self.cut_short = self.cut_short or cut
            for booking in found.bookings:
                self._rejected.pop(booking.key, None)
                # A stay we follow is followed wherever it moves; a new one only in range.
                if booking.key in self._known or (
                    booking.departure >= first and booking.arrival <= last
                ):
                    self._known[booking.key] = booking
            for item in found.rejected:
                self._known.pop(item.key, None)
                self._rejected[item.key] = item
            self._known = {
                key: booking for key, booking in self._known.items() if booking.departure >= first
            }
        self._polled_at = now
        await self._save(changed=self._known != before)
        read = {booking.key for booking in found.bookings} | {item.key for item in found.rejected}
        if any(BookingKey(KIND, booking_id) in known | read for booking_id in claimed):
            self.pushed()
        return tuple(self._known.values()), tuple(self._rejected.values())

    async def _listing(
        self, reading: Awaitable[tuple[SmoobuReservation, ...]]
    ) -> tuple[Normalised, str | None]:
        """The bookings, and why they are only part of them (a listing bound hit), or None.

        A part is used, not refused: each booking read is what Smoobu says of it now, so its
        code is made or updated as from a whole listing, and a big home keeps getting codes.
        What a part cannot show is a booking's absence, which the plan never reads anyway;
        and `answered` is False meanwhile, so no code is deleted on the source's word
        (cancellations, moves) until a whole listing is read again.
        """
        try:
            return from_smoobu(await reading), None
        except ListingIncompleteError as err:
            LOGGER.warning(
                "%s: %s; these are used, and no code is deleted on its word until all are read",
                self.subentry.title,
                err,
            )
            read = cast(tuple[SmoobuReservation, ...], err.read)
            return from_smoobu(read), str(err)

    async def send_message(self, booking_id: str, subject: str, text: str) -> None:
        """Through Smoobu's booking messages (the guest's own channel)."""
        await self.client.send_message_to_guest(int(booking_id), subject, text)

    def start(self, sync: SyncCoordinator) -> list[Callable[[], None]]:
        """Placeholders, when the host asked for them: written after every sync."""
        if not self.subentry.data.get(CONF_PLACEHOLDERS):
            return []
        writer = PlaceholderWriter(self.hass, self.config_entry, self, self.client, sync)
        writer.schedule()
        return [sync.async_add_listener(writer.schedule)]

    def push_handler(self, hass: HomeAssistant, entry: ConfigEntry) -> Handler:
        """A call only asks for a read of the changes, through Smoobu's own API.

        Smoobu calls one URL per account on every change and is not known to sign its calls
        (push-and-messaging.md, U): the URL itself is the secret, never logged by us. A
        forged or replayed call can make LockBridge read Smoobu, never change a code.
        """
        counts = self.pushes
        smoobu_user = str(self.subentry.unique_id or "").removeprefix(f"{KIND}-")

        async def handle(_: web.Request, body: bytes) -> web.Response:
            try:
                call = json.loads(body)
            except (ValueError, RecursionError):
                return counts.refuse(HTTPStatus.BAD_REQUEST)
            action = call.get("action") if isinstance(call, dict) else None
            if not isinstance(action, str):
                return counts.refuse(HTTPStatus.BAD_REQUEST)
            # "user" is the Smoobu account the call is about; a call for another account is
            # not this source's (when Smoobu leaves it out, the URL alone vouches for it).
            user = call.get("user")
            if user is not None and str(user) != smoobu_user:
                return counts.refuse(HTTPStatus.FORBIDDEN)
            if action not in BOOKING_ACTIONS:
                counts.ignored += 1
                return web.Response(status=HTTPStatus.OK)
            if counts.seen(body):  # read already for this very call
                return web.Response(status=HTTPStatus.OK)
            # A push (polling slows) only for a call naming the account, once the read finds
            # its booking (fetch): any call may ask for a read, not slow the polls.
            if user is not None and (booking_id := _booking_id(call.get("data"))) is not None:
                self.claimed.add(booking_id)
            # Answered at once; the read follows. Calls close together make one (debounced).
            entry.async_create_background_task(
                hass, self.async_request_refresh(), f"{DOMAIN} push {self.source_id}"
            )
            return web.Response(status=HTTPStatus.OK)

        return handle


def _rejections(saved: Any) -> list[Rejection]:
    """Skipped bookings as saved ([key, reason] pairs); anything else is left out."""
    found = []
    for item in saved[:MAX_SAVED_REJECTED] if isinstance(saved, list) else ():
        if isinstance(item, list) and len(item) == 2 and str(item[0]).startswith(f"{KIND}:"):
            with suppress(ValueError):
                reason = RejectReason(str(item[1]))
                found.append(Rejection(BookingKey(KIND, str(item[0]).partition(":")[2]), reason))
    return found


def _booking_id(data: Any) -> str | None:
    """The id of the booking a Smoobu call is about, when it names one."""
    found = data.get("id") if isinstance(data, dict) else None
    if isinstance(found, int) and not isinstance(found, bool):
        return str(found)
    return found if isinstance(found, str) and found.isdecimal() else None


def _range_text(dates: tuple[date, date]) -> str:
    """The dates a whole read covered, as the read marks keep them."""
    return f"{dates[0].isoformat()}/{dates[1].isoformat()}"
