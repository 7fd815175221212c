"""When a coordinator last read its cloud, and since when it has been failing."""

from __future__ import annotations

from datetime import datetime

from homeassistant.core import callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util


class ClockedCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """A coordinator that keeps the times of its last good read and of its outage's start.

    Listeners hear of the first failure only, and of no unchanged good read at all: the
    times are kept from Home Assistant's own hook, called after every refresh.
    """

    #: The end of the last successful refresh.
    last_read: datetime | None = None
    #: The first failed refresh since the last successful one (None while it reads).
    failing_since: datetime | None = None

    @callback
    def _async_refresh_finished(self) -> None:
        super()._async_refresh_finished()
        now = dt_util.utcnow()
        if self.last_update_success:
            self.last_read, self.failing_since = now, None
        elif self.failing_since is None:
            self.failing_since = now
