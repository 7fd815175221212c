"""The Guests card alone in Chromium, on a stand-in for Home Assistant's `hass` object.

Fast and exact where the whole stack is slow: what the card shows an admin and a non-admin,
in English and French, on a phone, with hostile names, a cloud down and a refused action.
The card as Home Assistant serves it, with the real backend, is in test_stack.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from typing import Any

from playwright.async_api import Browser, Page, async_playwright
import pytest
import pytest_asyncio

from tests.devstack.stack import REPO

from .conftest import CHROMIUM
from .test_stack import CHROMIUM_ARGS

CARD = REPO / "custom_components" / "lockbridge" / "frontend" / "lockbridge-guests-card.js"
HOSTILE = "Eve <img src=x onerror=alert(1)> **bold** [site](http://e.vil)"


def stay(booking: str, guest: str, check_in: str, check_out: str, **extra: Any) -> dict[str, Any]:
    """A stay as `lockbridge/guests` gives it (times in Paris, +01:00 in November)."""
    return {
        "booking_id": booking,
        "guest": guest,
        "check_in": check_in,
        "check_out": check_out,
        "start": check_in,
        "end": check_out,
        "code_state": "scheduled",
        "in_house": False,
        "arriving_today": False,
        "departing_today": False,
        "adults": 2,
        "children": 0,
        "channel": "Airbnb",
        "override": False,
        "lock_entity": "lock.old_town_flat",
        "code_id": "900" + booking[-1],
    } | extra


GUESTS = {
    "now": "2026-11-23T10:00:00+01:00",
    "entries": [
        {
            "entry_id": "e1",
            "title": "Jean Dupont",
            "clouds": [
                {"kind": "thekeys", "name": "Jean Dupont", "ok": True, "as_of": None},
                {
                    "kind": "smoobu",
                    "name": "Smoobu",
                    "ok": False,
                    "as_of": "2026-11-23T09:12:00+01:00",
                    "failing_since": "2026-11-23T09:15:00+01:00",
                },
            ],
            "problems": [],
            "units": [
                {
                    "unit_id": "103",
                    "name": "Old Town Flat",
                    "calendar": "calendar.old_town_flat",
                    "lock": "Old Town Flat",
                    "source": "smoobu",
                    "can_message": True,
                    "stays": [
                        stay(
                            "smoobu:1",
                            "Hiroshi Tanaka",
                            "2026-11-21T15:00:00+01:00",
                            "2026-11-23T12:00:00+01:00",
                            in_house=True,
                            departing_today=True,
                            code_state="active",
                        ),
                        stay(
                            "smoobu:2",
                            HOSTILE,
                            "2026-11-23T15:00:00+01:00",
                            "2026-11-25T12:00:00+01:00",
                            arriving_today=True,
                            start="2026-11-23T14:00:00+01:00",
                        ),
                        stay(
                            "smoobu:3",
                            "Amélie Laurent",
                            "2026-11-28T15:00:00+01:00",
                            "2026-12-01T12:00:00+01:00",
                        ),
                        stay(
                            "smoobu:4",
                            "Mateo Rossi",
                            "2026-12-01T15:00:00+01:00",
                            "2026-12-04T12:00:00+01:00",
                            code_state="pending",
                        ),
                    ],
                }
            ],
        }
    ],
}
PINS = {"smoobu:1": "482913", "smoobu:2": "730164", "smoobu:3": "615820"}

FAKE_HASS = """
([guests, pins, admin, language, width]) => {
  window.calls = [];
  window.sent = [];
  const hass = {
    user: { is_admin: admin, name: "x" },
    language,
    locale: { language, time_format: "24" },
    config: { time_zone: "Europe/Paris" },
    states: { "sensor.jean_dupont_last_sync": { state: "2026-11-23T09:00:00+00:00" } },
    entities: { "sensor.jean_dupont_last_sync": { entity_id: "sensor.jean_dupont_last_sync",
                                                  platform: "lockbridge" } },
    connection: {
      sendMessagePromise: async (message) => {
        window.sent.push(message);
        if (message.type === "lockbridge/guests") return guests;
        if (message.type === "lockbridge/pins") {
          if (!admin) throw { code: "unauthorized", message: "Unauthorized" };
          return { pins };
        }
        throw { code: "unknown_command", message: message.type };
      },
    },
    callService: async (domain, service, data, target, notify, returnResponse) => {
      window.calls.push({ domain, service, data, notify, returnResponse });
      const again = window.calls.filter((c) => c.service === service).length > 1;
      if (service === "send_guest_message" && again) {
        throw { code: "service_validation_error", message: "server text",
                translation_domain: "lockbridge", translation_key: "message_already_sent",
                translation_placeholders: { booking: data.booking } };
      }
      if (service === "regenerate_code") {
        pins[data.booking] = "555123";
        return { context: {}, response: { booking_id: data.booking, pin: "555123" } };
      }
      return { context: {}, response: null };
    },
    loadBackendTranslation: async () => (key, values) =>
      key.endsWith("message_already_sent.message")
        ? `Already sent to ${values.booking}.` : "",
  };
  const card = document.createElement("lockbridge-guests-card");
  card.setConfig({ days: 14 });
  card.style.width = width + "px";
  document.body.append(card);
  card.hass = hass;
  window.card = card;
}
"""


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for the module: a page each test."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A blank page (browser in UTC: the card must use Home Assistant's zone) with the card."""
    page = await browser.new_page(
        viewport={"width": 1000, "height": 900}, timezone_id="UTC", locale="en-US"
    )
    page.set_default_timeout(10_000)
    await page.set_content("<!doctype html><html><body style='margin:0'></body></html>")
    await page.add_script_tag(content=CARD.read_text(encoding="utf-8"), type="module")
    await page.wait_for_function("!!customElements.get('lockbridge-guests-card')")
    yield page
    await page.close()


async def show(
    page: Page,
    *,
    admin: bool,
    language: str = "en-GB",
    width: int = 900,
    guests: dict[str, Any] = GUESTS,
) -> None:
    await page.evaluate(FAKE_HASS, [guests, dict(PINS), admin, language, width])
    await page.locator("lockbridge-guests-card .stay").first.wait_for()


def row(page: Page, booking: str) -> Any:
    return page.locator(f"lockbridge-guests-card [data-part=coming] [data-booking='{booking}']")


async def test_the_admin_sees_every_stay_its_pin_and_the_actions(page: Page) -> None:
    await show(page, admin=True)
    # Times in Home Assistant's zone (Paris), not the browser's (UTC here).
    arrivals = page.locator("[data-list=arrivals]")
    await arrivals.get_by_text("15:00").wait_for()
    assert "Old Town Flat" in await arrivals.inner_text()
    assert "12:00" in await page.locator("[data-list=departures]").inner_text()
    coming = page.locator("[data-part=coming] .stay")
    assert await coming.count() == 3  # every coming stay of the unit, not just the next
    for booking, pin in (("smoobu:2", "730164"), ("smoobu:3", "615820")):
        assert pin in await row(page, booking).locator(".pin").inner_text()
    assert await row(page, "smoobu:4").locator(".pin").count() == 0  # pending: no PIN yet
    in_house = page.locator("[data-part=in_house] [data-booking='smoobu:1']")
    assert "482913" in await in_house.inner_text()
    # The code's own window where it differs from the stay's.
    assert "Mon 23 Nov 14:00" in await row(page, "smoobu:2").locator(".validity").inner_text()
    for action in ("change_times", "regenerate", "send", "remove"):
        assert await row(page, "smoobu:3").locator(f"[data-action={action}]").count() == 1
    sent = await page.evaluate("window.sent.map(m => m.type)")
    assert "lockbridge/pins" in sent


async def test_a_hostile_name_is_text(page: Page) -> None:
    await show(page, admin=True)
    card = page.locator("lockbridge-guests-card")
    assert await card.locator("img").count() == 0
    assert await card.locator("a").count() == 0
    assert HOSTILE in await row(page, "smoobu:2").locator(".guest").inner_text()


async def test_someone_else_sees_masked_pins_and_no_action(page: Page) -> None:
    await show(page, admin=False)
    text = await page.locator("lockbridge-guests-card .card").inner_text()
    for pin in PINS.values():
        assert pin not in text
    assert "••••" in await row(page, "smoobu:3").inner_text()
    assert await page.locator("lockbridge-guests-card button").count() == 0
    assert "lockbridge/pins" not in await page.evaluate("window.sent.map(m => m.type)")


async def test_an_unreadable_cloud_is_named_with_its_time(page: Page) -> None:
    await show(page, admin=True)
    banner = page.locator("[data-cloud=smoobu]")
    assert await banner.inner_text() == (
        "Smoobu cannot be read since 09:15. What is shown is as of 09:12."
    )
    assert await page.get_by_text("Bookings and keypads agree").count() == 0
    assert "as of 09:12" in await page.locator("[data-part=coming] .unit h4").inner_text()


async def test_en_francais(page: Page) -> None:
    await show(page, admin=True, language="fr")
    text = await page.locator("lockbridge-guests-card .card").inner_text()
    for french in ("Arrivées", "Départs", "Dans les logements", "Séjours à venir", "Copier"):
        assert french in text
    assert "Smoobu ne peut pas être lu depuis 09:15." in text
    assert "lun. 23 nov." in text  # Intl in French
    for english in ("Arrivals", "Copy", "cannot be read", "Mon "):
        assert english not in text


async def test_on_a_phone_nothing_scrolls_sideways(page: Page) -> None:
    await page.set_viewport_size({"width": 360, "height": 800})
    await show(page, admin=True, width=360)
    await row(page, "smoobu:3").locator("[data-action=change_times]").click()
    overflow = await page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 360


async def test_the_admin_acts_and_sees_the_result(page: Page) -> None:
    await show(page, admin=True)
    stay = row(page, "smoobu:3")
    await stay.locator("[data-action=regenerate]").click()
    await stay.get_by_text("New PIN: 555123").wait_for()
    await stay.locator("[data-action=change_times]").click()
    await stay.locator("input[name=check_in]").fill("2026-11-28T13:30")
    await stay.locator("[data-action=save_times]").click()
    await row(page, "smoobu:3").get_by_text("Saved.").wait_for()
    await row(page, "smoobu:3").locator("[data-action=send]").click()
    await row(page, "smoobu:3").get_by_text("Message sent.").wait_for()
    await row(page, "smoobu:3").locator("[data-action=send]").click()
    # The service's error, in the user's language through the backend's translations.
    await row(page, "smoobu:3").get_by_text("Already sent to smoobu:3.").wait_for()
    await row(page, "smoobu:3").locator("[data-action=remove]").click()
    await row(page, "smoobu:3").locator("[data-action=confirm_remove]").click()
    await row(page, "smoobu:3").get_by_text("Code removed.").wait_for()
    calls = await page.evaluate("window.calls")
    assert [(c["service"], c["data"]) for c in calls if c["service"] != "send_guest_message"] == [
        ("regenerate_code", {"booking": "smoobu:3"}),
        (
            "set_stay_override",
            {
                "booking": "smoobu:3",
                "check_in": "2026-11-28T13:30:00",
                "check_out": "2026-12-01T12:00:00",
            },
        ),
        ("remove_code", {"lock": "lock.old_town_flat", "code_id": "9003"}),
    ]
    send = next(c for c in calls if c["service"] == "send_guest_message")
    assert send["data"]["translations"]["fr"].startswith("Bonjour {guest}")
    # Errors shown on the card, not in a toast; a response asked only where there is one.
    assert all(c["notify"] is False for c in calls)
    assert [c["service"] for c in calls if not c["returnResponse"]] == ["set_stay_override"]


async def test_the_configuration_is_checked(page: Page) -> None:
    for bad in ({"days": 0}, {"days": 91}, {"days": 2.5}, {"show": ["pins"]}):
        error = await page.evaluate(
            """(config) => { try { document.createElement('lockbridge-guests-card')
                .setConfig(config); return null } catch (e) { return e.message } }""",
            bad,
        )
        assert error, bad
    stub = await page.evaluate("customElements.get('lockbridge-guests-card').getStubConfig()")
    assert stub == {"days": 14}
    listed = await page.evaluate("JSON.stringify(window.customCards)")
    assert "lockbridge-guests-card" in json.loads(listed)[0]["type"]
