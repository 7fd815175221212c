"""The guest message action: the PIN and window sent once per code version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv

from ..api import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
)
from ..const import DOMAIN
from ..engine.bookings import BookingKey
from ..engine.dates import moment_text, span_text
from ..engine.messages import MAX_TEMPLATE, TemplateError, choose_text, fingerprint, render
from ..runtime import LockBridgeConfigEntry
from ..sources.base import SourceCoordinator
from ..sources.registry import MESSAGES_REFUSED
from .common import STAY_FIELDS, cloud_error, invalid, stay_target

if TYPE_CHECKING:
    # Home Assistant types its action schemas with probatio (2026.9+), which it also installs
    # as `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol
else:
    import voluptuous as vol

ATTR_MESSAGE = "message"
ATTR_SUBJECT = "subject"
ATTR_TRANSLATIONS = "translations"
_TEMPLATE = vol.All(cv.string, vol.Length(min=1, max=MAX_TEMPLATE))
_SUBJECT = vol.All(cv.string, vol.Length(max=200))
#: A translation: the message alone (as first released), or its subject and message.
_TRANSLATION = vol.Any(
    _TEMPLATE,
    vol.All(
        {vol.Optional(ATTR_SUBJECT): _SUBJECT, vol.Optional(ATTR_MESSAGE): _TEMPLATE},
        cv.has_at_least_one_key(ATTR_SUBJECT, ATTR_MESSAGE),
    ),
)
SEND_MESSAGE_SCHEMA = vol.Schema(
    {
        **STAY_FIELDS,
        vol.Required(ATTR_MESSAGE): _TEMPLATE,
        vol.Optional(ATTR_SUBJECT, default=""): _SUBJECT,
        # Language ("fr", "de-ch") -> the message in it; at most a few dozen.
        vol.Optional(ATTR_TRANSLATIONS, default=dict): vol.All(
            {vol.All(cv.string, vol.Length(min=2, max=10), vol.Lower): _TRANSLATION},
            vol.Length(max=40),
        ),
    }
)


def _messaging_source(entry: LockBridgeConfigEntry, key: BookingKey) -> SourceCoordinator:
    """The source that knows this booking, if it can message its guest."""
    for source in entry.runtime_data.coordinator.sources.values():
        if (
            source.can_message
            and source.kind == key.source
            and source.data is not None
            and any(booking.key == key for booking in source.data.bookings)
        ):
            return source
    raise invalid(MESSAGES_REFUSED, booking=str(key))


async def send_guest_message(call: ServiceCall) -> ServiceResponse:
    """The guest's PIN and window in a message, through their source, once per code version.

    Remembered before it is sent: a message whose answer is lost (it may have gone out)
    is not sent again; one the source refused can be sent again.
    """
    entry, key = stay_target(call.hass, call.data)
    source = _messaging_source(entry, key)
    coordinator = entry.runtime_data.coordinator
    found = next(
        (
            (unit, stay)
            for unit in source.units
            if unit.keypad is not None
            for stay in coordinator.unit_view(unit).stays
            if stay.booking.key == key
        ),
        None,
    )
    code = coordinator.code_for(key)
    if found is None or code is None:
        raise invalid("no_code_for_booking", booking=str(key))
    unit, stay = found
    language, subject_template, template = choose_text(
        stay.booking.language,
        call.data[ATTR_MESSAGE],
        call.data[ATTR_SUBJECT] or "{unit}",
        call.data[ATTR_TRANSLATIONS],
    )
    # Dates in the text's language: the translation's, else the home's (the host's own).
    dates = language or call.hass.config.language
    values = {
        "guest": stay.booking.guest_name,
        "unit": unit.name,
        "pin": code.pin,
        "window": span_text(stay.start, stay.end, dates),
        "check_in": moment_text(stay.check_in, dates),
        "check_out": moment_text(stay.check_out, dates),
    }
    try:
        text = render(template, values)
        subject = render(subject_template, values)
    except TemplateError as err:
        raise invalid("bad_template", field=str(err)) from err
    version = fingerprint(str(key), code.pin, stay.start.isoformat(), stay.end.isoformat())
    state = entry.runtime_data.state
    async with coordinator.mutating:  # two calls at once: one message
        if state.message_sent(key, version):
            raise invalid("message_already_sent", booking=str(key))
        state.note_message(key, version)
        # On disk before the source hears of it: after a crash mid-send the message counts as
        # sent (as a lost answer does), never as one to send again.
        await state.flush()
        try:
            await source.send_message(key.booking_id, subject, text)
        except (AuthenticationError, NotFoundError, RateLimitedError, RequestRejectedError) as err:
            state.forget_message(key, version)  # refused: surely not sent
            raise cloud_error(err) from err
        except ApiError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="message_maybe_sent",
                translation_placeholders={"booking": str(key), "error": str(err)},
            ) from err
    return {"booking_id": str(key), "language": language, "sent": True}
