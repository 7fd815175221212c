"""The Guests dashboard: its templates rendered in Home Assistant on the demo, and the README."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.template import Template
from homeassistant.util.yaml import load_yaml_dict
import pytest

from tests.dashboard_fr import french
from tests.demo_stack import Demo, set_up

ROOT = Path(__file__).parent.parent
DASHBOARD = ROOT / "docs" / "guests-dashboard.yaml"
FRENCH = ROOT / "docs" / "guests-dashboard.fr.yaml"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def cards(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [card for view in config["views"] for s in view["sections"] for card in s["cards"]]


def rendered(hass: HomeAssistant, dashboard: Path) -> list[str]:
    """The dashboard's markdown cards, read as Home Assistant reads a YAML dashboard."""
    return [
        Template(card["content"], hass).async_render()
        for card in cards(load_yaml_dict(dashboard))
        if card["type"] == "markdown"
    ]


async def test_the_dashboard_shows_the_demo_guests_codes_and_locks(
    hass: HomeAssistant, demo: Demo, steady_pins: None
) -> None:
    await set_up(hass, demo.entry())
    today, upcoming, units, locks, sync = rendered(hass, DASHBOARD)
    garden = hass.states.get("sensor.garden_studio_access_code")
    assert garden is not None

    # 10:00 in Paris: Lars leaves at 12:00, Zoë and Ayşe arrive at 15:00.
    assert "**Arrivals**\n- 15:00 **Zoë Müller**, Seaside Loft" in today
    assert "- 15:00 **Ayşe Yılmaz**, Standard Room" in today
    assert "**Departures**\n- 12:00 **Lars Johansson**, Seaside Loft" in today
    # Zoë's PIN is there while Lars is still in, to be sent before she arrives.
    zoe = hass.states.get("sensor.seaside_loft_upcoming_access_code")
    assert zoe is not None
    assert zoe.attributes["guest"] == "Zoë Müller"
    assert (
        f"- **Zoë Müller**, Seaside Loft: Mon 23 Nov → Fri 27 Nov, Airbnb, "
        f"PIN `{zoe.attributes['pin']}`\n"
    ) in upcoming
    ayse = hass.states.get("sensor.standard_room_access_code")
    assert ayse is not None
    assert ayse.state == "scheduled"
    assert (
        f"Standard Room: Mon 23 Nov → Wed 25 Nov, Booking.com, PIN `{ayse.attributes['pin']}`"
        in (upcoming)
    )
    pin = garden.attributes["pin"]
    assert (
        f"| Garden Studio | **Hiroshi Tanaka** | `{pin}` | 21 Nov 15:00 → 26 Nov 12:00 |" in units
    )
    assert "| Deluxe Suite | *free* | | |" in units
    assert "| Garden Studio - Entrée jardin | Locked | 6 % | 3 |" in locks
    assert "Bookings and keypads agree." in sync
    assert "HotelRunner: 249 of 250 requests left today." in sync


def test_the_french_dashboard_is_the_english_one_translated() -> None:
    assert FRENCH.read_text(encoding="utf-8") == french(DASHBOARD.read_text(encoding="utf-8")), (
        "run: python -m tests.dashboard_fr"
    )
    changed = DASHBOARD.read_text(encoding="utf-8").replace("No upcoming stay.", "Nothing.")
    with pytest.raises(ValueError, match="No upcoming stay"):
        french(changed)  # an English change the French copy would miss fails loudly


async def test_the_french_dashboard_speaks_french_on_the_demo(
    hass: HomeAssistant, demo: Demo, steady_pins: None
) -> None:
    await set_up(hass, demo.entry())
    today, upcoming, units, locks, sync = rendered(hass, FRENCH)
    zoe = hass.states.get("sensor.seaside_loft_upcoming_access_code")
    assert zoe is not None
    assert "**Arrivées**\n- 15:00 **Zoë Müller**, Seaside Loft" in today
    assert "**Départs**\n- 12:00 **Lars Johansson**, Seaside Loft" in today
    assert f"Seaside Loft: 23/11 → 27/11, Airbnb, PIN `{zoe.attributes['pin']}`" in upcoming
    assert "| Deluxe Suite | *libre* | | |" in units
    assert "| Serrure | État | Batterie | Codes | Synchronisée |" in locks
    assert "Réservations et claviers concordent." in sync
    assert "HotelRunner : 249 requêtes sur 250 restantes aujourd'hui." in sync
    assert "Dernière synchronisation à " in sync
    everything = "\n".join((today, upcoming, units, locks, sync))
    for english in ("Arrivals", "free", "agree", "requests left", "Last sync", " ago", "Mon "):
        assert english not in everything


def test_the_readme_shows_the_dashboard_as_installed() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```yaml\n{DASHBOARD.read_text(encoding='utf-8')}```" in readme
    assert "![The Guests dashboard](docs/guests-dashboard.png)" in readme
    buttons = [c for c in cards(load_yaml_dict(DASHBOARD)) if c["type"] == "button"]
    assert buttons[0]["tap_action"]["perform_action"] == "lockbridge.sync"


async def test_names_from_the_clouds_cannot_break_or_inject_into_the_cards(
    hass: HomeAssistant, demo: Demo, steady_pins: None
) -> None:
    hostile = "Eve | 0000 | <img src=x onerror=alert(1)> [site](http://e.vil) *bold* `x`_"
    demo.smoobu.add_booking(103, date(2026, 11, 22), date(2026, 11, 25), hostile)
    await set_up(hass, demo.entry())
    texts = rendered(hass, DASHBOARD)
    units = texts[2]

    (row,) = [line for line in units.splitlines() if "Old Town Flat" in line]
    assert row.count("|") == 5  # the four cells of the table, no more
    for text in texts:
        for raw in ("<img", "[site]", "*bold*", "`x`", "| 0000"):
            assert raw not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in row
