"""When to try a refused The Keys login again, and when to ask the host to sign in again.

Clouds refuse logins transiently, so one refusal does not stop the sync: the login is
retried with a growing delay (LOGIN_RETRY_DELAYS, never slower than the periodic sync) and
the sync keeps the codes it has. Only refusals that last (REAUTH_AFTER_REFUSED_FOR and at
least REAUTH_AFTER_REFUSALS in a row) start reauth. A login the cloud accepts resets it; a
network error neither counts nor resets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGIN_RETRY_DELAYS, REAUTH_AFTER_REFUSALS, REAUTH_AFTER_REFUSED_FOR

#: Each entry's guard, by entry id: it outlives setup retries (a refused login at start-up
#: retries the setup, with a new coordinator each time) and reloads. A flow that checked a
#: new password drops it.
LOGIN_GUARDS: HassKey[dict[str, LoginGuard]] = HassKey(f"{DOMAIN}_login_guards")
#: A scheduled retry may fire this much before its time (Home Assistant rounds timers).
EARLY = timedelta(seconds=5)


@dataclass(slots=True)
class LoginGuard:
    """The refusals in a row of one account (kept across setup retries and reloads)."""

    refusals: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def refused(self, now: datetime) -> None:
        """The cloud refused the login (a shared, earlier refusal is not a new one)."""
        self.refusals += 1
        self.first = self.first or now
        self.last = now

    def accepted(self) -> None:
        """The cloud took the password: start afresh."""
        self.refusals, self.first, self.last = 0, None, None

    def retry_at(self, interval: timedelta) -> datetime | None:
        """When to log in again: the next step of the backoff, at most one sync interval."""
        if self.last is None:
            return None
        step = LOGIN_RETRY_DELAYS[min(self.refusals, len(LOGIN_RETRY_DELAYS)) - 1]
        return self.last + min(step, interval)

    def waiting(self, now: datetime, interval: timedelta) -> timedelta | None:
        """How long until the next login may be tried, if it may not be tried now."""
        retry = self.retry_at(interval)
        return retry - now if retry is not None and now + EARLY < retry else None

    def reauth_due(self) -> bool:
        """Refused long enough, often enough: only the host can fix it now."""
        return (
            self.first is not None
            and self.last is not None
            and self.refusals >= REAUTH_AFTER_REFUSALS
            and self.last - self.first >= REAUTH_AFTER_REFUSED_FOR
        )

    @property
    def reauth_from(self) -> datetime | None:
        """The earliest moment reauth may start."""
        return None if self.first is None else self.first + REAUTH_AFTER_REFUSED_FOR

    def problem(self, clock: Callable[[datetime], str]) -> str | None:
        """The line of "sync problem", with times as `clock` writes them."""
        if self.first is None or self.reauth_from is None:
            return None
        since = (
            f"once at {clock(self.first)}"
            if self.refusals == 1
            else f"{self.refusals} times since {clock(self.first)}"
        )
        if self.reauth_due():
            return f"The Keys refused the password {since}; sign in again to resume the sync"
        return (
            f"The Keys refused the password {since}; "
            f"asking you to sign in again after {clock(self.reauth_from)}"
        )


def login_refused(wait: timedelta) -> UpdateFailed:
    """A sync's failure while The Keys refuses the password: the next try in `wait`."""
    seconds = max(wait.total_seconds(), 1.0)
    retry = dt_util.as_local(dt_util.utcnow() + timedelta(seconds=seconds))
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="login_refused",
        translation_placeholders={"retry": f"{retry:%H:%M}"},
        retry_after=seconds,
    )
