"""What the dev stack writes in Home Assistant's configuration folder at every start."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

CONFIGURATION = """\
# Written by scripts/develop at every start (tests/devstack/config.py); edit it there.
homeassistant:
  name: LockBridge demo
  time_zone: {time_zone}
  country: FR
  currency: EUR
  unit_system: metric
  latitude: 43.6965
  longitude: 7.2632
  elevation: 10
  internal_url: "{url}"
frontend:
config:
# The door's check-ins and late guests, as a host reads them (LockBridge's logbook.py).
recorder:
  purge_keep_days: 3
logbook:
history:
lovelace:
  dashboards:
    {dashboard}:
      mode: yaml
      title: Guests
      icon: mdi:account-key
      show_in_sidebar: true
      filename: guests-dashboard.yaml
    {french_dashboard}:
      mode: yaml
      title: Voyageurs
      icon: mdi:account-key
      show_in_sidebar: true
      filename: guests-dashboard.fr.yaml
logger:
  default: warning
  logs:
    custom_components.lockbridge: info
"""


def http_store(port: int) -> dict[str, Any]:
    """Home Assistant's HTTP settings, loopback on ``port``, as its own store keeps them.

    Since 2026.10 `http:` in YAML is deprecated: it is migrated once, as a trial that the
    UI asks to confirm and that reverts (with a restart) five minutes later. The settings are
    written as the confirmed ones instead, at every start, since the port may change.
    """
    from homeassistant.components.http import config as http  # noqa: PLC0415  # newest only

    settings = http.HTTP_STORAGE_SCHEMA({"server_host": ["127.0.0.1"], "server_port": port})
    return {
        "version": http.STORAGE_VERSION,
        "minor_version": http.STORAGE_MINOR_VERSION,
        "key": http.STORAGE_KEY,
        "data": {
            "stable": {
                **settings,
                "created_at": datetime.now(ZoneInfo("UTC")).isoformat(),
                "error": None,
                "error_message": None,
            },
            "pending": None,
            "yaml_migration_done": True,
        },
    }
