"""End to end: a host sets LockBridge up through Home Assistant's UI, in Chromium.

A stack of its own (this module), cleared of the entry the dev stack made, so the host starts
from nothing: add the integration, sign in, pick Smoobu, press Submit on every unit, and read
the next guest's PIN on the dashboard. Each step's screenshot goes to docs/ for the README's
"Getting started".
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
import re
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import Page, async_playwright

from custom_components.lockbridge.const import DOMAIN
from tests.devstack.hass_api import HomeAssistantApi
from tests.devstack.stack import REPO, TIME_ZONE

from .conftest import CHROMIUM
from .test_stack import CHROMIUM_ARGS

SHOTS = REPO / "docs" / "setup"
# The simulators' demo credentials (tests/fakes): what a host types.
DEMO_PHONE, DEMO_PASSWORD = "+33612345678", "tk-secret-password"
SMOOBU_KEY, SMOOBU_SECRET = "smoobu-api-key", "smoobu-api-secret"
TIMEOUT = 60_000


async def shot(page: Page, name: str) -> Path:
    """A screenshot of the page as it is, for the README."""
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.wait_for_timeout(500)  # the dialog's opening animation
    await page.screenshot(path=path)
    return path


async def fill(page: Page, field: str, value: str) -> None:
    """A form's field, by its key (Home Assistant names its inputs after them)."""
    await page.locator(f"input[name={field}]").fill(value)


async def submit(page: Page) -> None:
    """The form's button: "Next" while more forms follow, "Submit" on the last."""
    await page.get_by_role("button", name=re.compile(r"^(Next|Submit)$")).click()


async def test_a_host_sets_lockbridge_up_in_the_browser(
    stack: dict[str, Any], api: HomeAssistantApi
) -> None:
    for entry in await api.entries(DOMAIN):
        await api.remove_entry(entry["entry_id"])
    sims = stack["sim_url"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(
            viewport={"width": 1280, "height": 900}, timezone_id=TIME_ZONE, locale="en-GB"
        )
        page.set_default_timeout(TIMEOUT)
        try:
            await page.goto(f"{stack['url']}/config/integrations/dashboard/add?domain={DOMAIN}")
            await page.locator("input[name=username]").fill(stack["username"])
            await page.locator("input[name=password]").fill(stack["password"])
            await page.get_by_role("button", name="Log in").click()

            await page.get_by_role("button", name="OK").click()  # "set up LockBridge?"

            # 1. The account: phone, password, and (folded away) the simulator's address.
            await page.get_by_text("Sign in with the account").wait_for()
            await fill(page, "username", DEMO_PHONE)
            await fill(page, "password", DEMO_PASSWORD)
            await page.get_by_text("Server (for testing)").click()
            await fill(page, "thekeys_url", f"{sims}/thekeys")
            await shot(page, "1-account")
            await submit(page)

            # 2. Signed in as the holder: which booking source comes next.
            await page.get_by_text("Signed in as Jean Dupont: 7 locks").wait_for()
            await shot(page, "2-next")
            await page.get_by_text("Smoobu (holiday rentals)").click()

            # 3. The Smoobu source's form opens by itself.
            await page.locator("input[name=api_key]").wait_for()
            await fill(page, "api_key", SMOOBU_KEY)
            await fill(page, "api_secret", SMOOBU_SECRET)
            await page.get_by_text("Server (for testing)").click()
            await fill(page, "smoobu_url", f"{sims}/smoobu")
            await shot(page, "3-smoobu")
            await submit(page)

            # 4. One form per apartment, its keypad already chosen: Submit, Submit, Submit.
            for position in range(3):
                await page.get_by_text(f"({position + 1} of 3)").wait_for()
                if position == 0:
                    await shot(page, "4-unit")
                await submit(page)
            # 5. Where Smoobu should push its changes (the source's own webhook address), and
            # whether the PIN goes in Smoobu's messages (off unless the host turns it on).
            await page.get_by_text("Smoobu and LockBridge tell each other").wait_for()
            await shot(page, "5-push")
            await submit(page)
            await page.get_by_role("button", name="Finish").click()

            # 6. The dashboard: every coming guest's PIN (the host is an admin), to send
            # before arrival.
            upcoming = await _codes(api)
            await page.goto(stack["dashboard"])
            for code in upcoming:
                pins = page.locator("lockbridge-guests-card .pin")
                await pins.filter(has_text=code["pin"]).first.wait_for()
            assert "Zoë Müller" in {code["guest"] for code in upcoming}
            if datetime.now(ZoneInfo(TIME_ZONE)).hour < 12:  # Lars leaves at noon
                await page.get_by_text("Lars Johansson").first.wait_for()
            await shot(page, "6-dashboard")
            await page.goto(f"{stack['url']}/config/integrations/integration/{DOMAIN}")
            await page.get_by_text("Jean Dupont").first.wait_for()
            await shot(page, "7-integration")
        except Exception:
            await page.screenshot(path=SHOTS / "failed.png", full_page=True)
            raise
        finally:
            await browser.close()

    (entry,) = await api.entries(DOMAIN)
    assert entry["title"] == "Jean Dupont"  # the holder, never the phone number

    # Reconfiguring Smoobu with the key alone keeps the secret, so requests stay signed.
    diagnostics = await _diagnostics(api, entry["entry_id"])
    (subentry_id,) = [s["subentry_id"] for s in diagnostics["subentries"]]

    def key_only(step: str, form: dict[str, Any]) -> dict[str, Any]:
        fields = {field["name"]: field.get("default") for field in form["data_schema"]}
        if step == "reconfigure":  # the secret left empty; the server section as shown
            return {"api_key": SMOOBU_KEY, "server": {"smoobu_url": f"{sims}/smoobu"}}
        return {name: value for name, value in fields.items() if value is not None}

    await api.run_flow(
        "subentries/flow",
        [entry["entry_id"], "smoobu"],
        key_only,
        start={"subentry_id": subentry_id},
        ends="abort",
    )
    after = await _diagnostics(api, entry["entry_id"])
    (smoobu,) = after["subentries"]
    assert smoobu["data"]["api_secret"] == "**REDACTED**"  # there, and never shown
    assert not [p for p in after["problems"] if "deprecated" in p]


async def _diagnostics(api: HomeAssistantApi, entry_id: str) -> dict[str, Any]:
    answer = await api.request("GET", f"/api/diagnostics/config_entry/{entry_id}")
    return dict(answer["data"])


async def _codes(api: HomeAssistantApi) -> list[dict[str, Any]]:
    """The Smoobu guests' codes of the card's next 14 days, once the first sync made them all.

    Read as an admin's script reads them (`get_stays`): entity states carry no PIN.
    """
    soon = datetime.now(ZoneInfo(TIME_ZONE)) + timedelta(days=14)
    for _ in range(120):
        stays = (await api.call(DOMAIN, "get_stays"))["stays"]
        codes = [
            stay
            for stay in stays
            if stay["code_state"] in ("active", "scheduled")
            and datetime.fromisoformat(stay["check_in"]) < soon
        ]
        if len(codes) >= 4 and all(code["pin"] for code in codes):
            return codes
        await asyncio.sleep(0.5)
    raise AssertionError("the first sync made no codes")
