"""The Guests dashboard: its templates rendered in Home Assistant on the demo, and the README."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.template import Template
from homeassistant.util.yaml import load_yaml_dict
import pytest

from custom_components.lockbridge.const import DOMAIN
from tests.dashboard_fr import french
from tests.demo_stack import Demo, set_up

ROOT = Path(__file__).parent.parent
DASHBOARD = ROOT / "docs" / "guests-dashboard.yaml"
CARD = "custom:lockbridge-guests-card"
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


def guests_cards(dashboard: Path) -> list[dict[str, Any]]:
    return [c for c in cards(load_yaml_dict(dashboard)) if c["type"] == CARD]


def test_the_guests_card_shows_the_stays_and_no_markdown_reads_a_pin() -> None:
    """Arrivals, who is in and every coming stay come from the card (PINs for admins only)."""
    for dashboard in (DASHBOARD, FRENCH):
        shown = [part for card in guests_cards(dashboard) for part in card["show"]]
        assert sorted(shown) == ["coming", "in_house", "status", "today"]
        text = dashboard.read_text(encoding="utf-8")
        assert "pin" not in text.lower().replace("pins for", "").replace("pin pour", "")


async def test_the_dashboard_shows_the_demo_locks_and_sync(
    hass: HomeAssistant, demo: Demo, steady_pins: None
) -> None:
    await set_up(hass, demo.entry())
    _, locks, sync = rendered(hass, DASHBOARD)  # the cleaning card first
    assert "| Garden Studio - Garden door | Locked | 6 % | 3 |" in locks
    assert "Bookings and keypads agree." in sync
    assert "Not read" not in sync
    assert "HotelRunner: 249 of 250 requests left today." in sync


async def test_the_sync_card_does_not_say_all_is_well_while_a_cloud_is_unread(
    hass: HomeAssistant, demo: Demo, steady_pins: None
) -> None:
    """6 minutes into an outage the sync card said "Bookings and keypads agree" (issue 21)."""
    entry = await set_up(hass, demo.entry())
    demo.smoobu.faults.fail_next = 1000
    demo.thekeys.faults.fail_next = 1000
    with suppress(HomeAssistantError):  # "the sync did not finish": nothing could be read
        await hass.services.async_call(DOMAIN, "sync", blocking=True, return_response=True)
    await hass.async_block_till_done()
    for source in entry.runtime_data.coordinator.sources.values():
        await source.async_refresh()
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    (*_, sync), (*_, french_sync) = rendered(hass, DASHBOARD), rendered(hass, FRENCH)
    assert "Bookings and keypads agree." not in sync
    assert "**Not read at the last try**: Smoobu Demo Host, The Keys." in sync
    assert "**Non lu à la dernière tentative** : Smoobu Demo Host, The Keys." in french_sync
    assert "Réservations et claviers concordent." not in french_sync


def test_the_french_dashboard_is_the_english_one_translated() -> None:
    assert FRENCH.read_text(encoding="utf-8") == french(DASHBOARD.read_text(encoding="utf-8")), (
        "run: python -m tests.dashboard_fr"
    )
    changed = DASHBOARD.read_text(encoding="utf-8").replace("Bookings and keypads", "All")
    with pytest.raises(ValueError, match="Bookings and keypads"):
        french(changed)  # an English change the French copy would miss fails loudly


async def test_the_french_dashboard_speaks_french_on_the_demo(
    hass: HomeAssistant, demo: Demo, steady_pins: None
) -> None:
    await set_up(hass, demo.entry())
    _, locks, sync = rendered(hass, FRENCH)
    assert "| Serrure | État | Batterie | Codes | Synchronisée |" in locks
    assert "Réservations et claviers concordent." in sync
    assert "HotelRunner : 249 requêtes sur 250 restantes aujourd'hui." in sync
    assert "Dernière synchronisation à " in sync
    everything = "\n".join((locks, sync))
    for english in ("agree", "requests left", "Last sync", " ago", "Not read"):
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
    """A lock named by hand in The Keys' app: text in the locks table, never cells or HTML.

    Guests' names are no longer in any markdown card: the Guests card writes them as text
    (tests/e2e/test_guests_card.py).
    """
    hostile = "Eve | 0000 | <img src=x onerror=alert(1)> [site](http://e.vil) *bold* `x`_"
    demo.thekeys.add_lock(3799, hostile, keypads=[("Kz9Qw8Er", "Digicode")])
    await set_up(hass, demo.entry())
    texts = rendered(hass, DASHBOARD)
    locks = texts[1]

    (row,) = [line for line in locks.splitlines() if "Eve" in line]
    assert row.count("|") == 6  # the five cells of the table, no more
    for text in texts:
        for raw in ("<img", "[site]", "*bold*", "`x`", "| 0000"):
            assert raw not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in row
