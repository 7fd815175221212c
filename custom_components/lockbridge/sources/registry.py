"""Every booking source LockBridge knows: subentry type -> its coordinator class.

A new source is one module in `sources/` (and its client in `api/`), listed here.
"""

from __future__ import annotations

from typing import Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry, ConfigSubentryFlow
from homeassistant.core import HomeAssistant

from ..repairs import Issues
from ..storage import StateStore
from .base import SourceCoordinator
from .hotelrunner import HotelRunnerCoordinator
from .ical import IcalCoordinator
from .smoobu import NO_MESSAGES_ERROR, SmoobuCoordinator

#: In the order the account's flow offers them.
SOURCES: Final[dict[str, type[SourceCoordinator]]] = {
    source.kind: source for source in (SmoobuCoordinator, HotelRunnerCoordinator, IcalCoordinator)
}
#: The refusal to message a guest whose booking comes from a source that cannot.
MESSAGES_REFUSED: Final = NO_MESSAGES_ERROR


def is_source(subentry: ConfigSubentry) -> bool:
    """A booking-source subentry (of a kind this version knows)."""
    return subentry.subentry_type in SOURCES


def source_coordinator(
    hass: HomeAssistant,
    entry: ConfigEntry,
    subentry: ConfigSubentry,
    issues: Issues,
    state: StateStore,
) -> SourceCoordinator:
    """The coordinator for a booking-source subentry."""
    return SOURCES[subentry.subentry_type](hass, entry, subentry, issues, state)


def flows() -> dict[str, type[ConfigSubentryFlow]]:
    """Each source's subentry flow."""
    return {kind: source.flow for kind, source in SOURCES.items()}


def secret_keys() -> frozenset[str]:
    """Every source's credentials (redacted from diagnostics)."""
    return frozenset(
        key for source in SOURCES.values() for key in getattr(source.flow, "secret_keys", ())
    )


def interval_options() -> dict[str, tuple[int, int, int]]:
    """Each source's polling option: default and bounds (minutes)."""
    return {
        source.interval_option: (source.interval_default, *source.interval_range)
        for source in SOURCES.values()
    }
