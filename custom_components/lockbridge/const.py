"""Constants of the LockBridge integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "lockbridge"
LOGGER = logging.getLogger(__package__)

#: The Keys cloud address; overridable in advanced mode (the simulators use this).
CONF_THEKEYS_URL: Final = "thekeys_url"
