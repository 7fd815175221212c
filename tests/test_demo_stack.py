"""The demo stack as the dev server serves it: the clouds behind path prefixes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
import re
import sys
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.api import (
    CommunicationError,
    HotelRunnerClient,
    SmoobuClient,
    TheKeysClient,
)
from custom_components.lockbridge.api.ical import IcalClient, parse_feed
from custom_components.lockbridge.api.ical_rules import (
    EventKind,
    Platform,
    read_event,
    rules_for,
)
from custom_components.lockbridge.const import (
    CONF_DOORS,
    CONF_NAME,
    CONF_PERMANENT,
    CONF_PIN,
    CONF_ROLE,
    CONF_TURNOVER,
    CONF_UNIT_IDS,
    CONF_UNITS,
    DOMAIN,
    SUBENTRY_STAFF,
)
from custom_components.lockbridge.models import anonymous_id
from tests.conftest import serve
from tests.demo_stack import HOTELRUNNER_UNITS, SMOOBU_UNITS, Demo, set_up, the_state, unit_map
from tests.fakes import DemoSet, build_simulators
from tests.fakes.__main__ import make_root_app
from tests.fakes.demo import BUILDING_DOOR, BUILDING_UNIT, ICAL_TOKEN, ICAL_UNIT

TODAY = date.today()  # noqa: DTZ011  # the demo is built around the real today


async def test_demo_is_readable_by_every_client(session: aiohttp.ClientSession) -> None:
    thekeys, smoobu, hotelrunner, ical, demo = build_simulators(TODAY)
    server = await serve(make_root_app(thekeys, smoobu, hotelrunner, ical))
    base = str(server.make_url("")).rstrip("/")
    try:
        tk = TheKeysClient(
            session, demo.thekeys_username, demo.thekeys_password, base_url=f"{base}/thekeys"
        )
        sm = SmoobuClient(
            session, demo.smoobu_api_key, demo.smoobu_api_secret, base_url=f"{base}/smoobu"
        )
        hr = HotelRunnerClient(
            session,
            demo.hotelrunner_token,
            demo.hotelrunner_hr_id,
            base_url=f"{base}/hotelrunner/api/v2/apps",
        )

        account = await tk.get_account()
        foreign = {c.name for lock in account.locks for c in await tk.list_codes(lock.id)}
        bookings = await sm.get_reservations()
        reservations = await hr.get_reservations(from_date=TODAY - timedelta(days=30))
        rooms = await hr.get_rooms()
        (feed,) = demo.ical_feeds
        answer = await IcalClient(session, f"{base}/ical{feed.path}").fetch()
    finally:
        await server.close()

    assert {lock.id: (lock.name, lock.keypads[0].id) for lock in account.locks} == demo.locks
    assert set(demo.doors) == {BUILDING_UNIT}
    assert foreign == {"Cleaner", "Emergency"}
    assert smoobu.signature_failures == 0  # signed through the /smoobu prefix
    live = [b for b in bookings if not b.is_cancelled and not b.is_blocked]
    assert any(b.arrival == TODAY for b in live)
    assert any(b.departure == TODAY for b in live)
    assert any(b.arrival < TODAY < b.departure for b in live if b.arrival and b.departure)
    assert sum(b.is_cancelled for b in bookings) == 1
    assert sum(b.is_blocked for b in bookings) == 1
    assert {b.apartment_id for b in bookings} == set(demo.smoobu_apartments)
    assert any(r.checkin == TODAY and r.state == "confirmed" for r in reservations)
    assert any(r.state == "canceled" for r in reservations)
    assert any(len(r.rooms) == 2 for r in reservations)
    assert set(demo.hotelrunner_rooms) <= {room.inv_code for room in rooms}
    # The Harbour Cabin's Airbnb export: a guest in, two coming (one with phone digits), blocks.
    assert (feed.platform, feed.unit) == ("airbnb", ICAL_UNIT[0])
    events = parse_feed(answer.body or b"", "Europe/Paris").events
    readings = [(read_event(e, rules_for(Platform.AIRBNB)), e) for e in events]
    stays = [(e.start, e.end) for r, e in readings if r.kind is EventKind.RESERVATION]
    assert len(stays) == 3
    assert sum(r.kind is EventKind.BLOCK for r, _ in readings) == 2
    assert any(start < TODAY < end for start, end in stays)  # type: ignore[operator]
    assert not any(TODAY in (start, end) for start, end in stays)  # today's lists stay as they are
    assert [r.phone for r, _ in readings if r.phone] == ["4417"]
    assert all(r.code.startswith("HM") for r, _ in readings if r.kind is EventKind.RESERVATION)


async def test_standalone_runner_serves_the_demo(
    session: aiohttp.ClientSession, unused_tcp_port: int
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes",
        "--port",
        str(unused_tcp_port),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        banner = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert f"http://127.0.0.1:{unused_tcp_port}/thekeys" in banner
        client = TheKeysClient(
            session,
            "+33612345678",
            "tk-secret-password",
            base_url=f"http://127.0.0.1:{unused_tcp_port}/thekeys",
        )
        for _ in range(100):  # the banner prints just before the socket opens
            try:
                account = await client.get_account()
                break
            except CommunicationError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the simulator never opened its port")
        assert len(account.locks) == 7  # the six units' and the building door
        feed = f"http://127.0.0.1:{unused_tcp_port}/ical/feeds/{ICAL_TOKEN}.ics"
        async with session.get(feed) as answer:
            assert answer.content_type == "text/calendar"
            assert (await answer.text()).count("SUMMARY:Reserved") == 3
    finally:
        process.terminate()
        await process.wait()


@asynccontextmanager
async def dev_stack(hass: HomeAssistant) -> AsyncIterator[tuple[Demo, DemoSet, MockConfigEntry]]:
    """The dev stack's demo served, and its entry set up (then unloaded)."""
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    thekeys, smoobu, hotelrunner, ical, demo = build_simulators(today)
    server = await serve(make_root_app(thekeys, smoobu, hotelrunner, ical))
    try:
        base = str(server.make_url("")).rstrip("/")
        sims = Demo(thekeys, smoobu, hotelrunner, base, ical=ical)
        entry = await set_up(hass, _dev_stack_entry(sims, demo))
        yield sims, demo, entry
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    finally:
        await server.close()


async def test_the_demo_staff_and_building_door_reach_the_keypads(
    hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    """The dev stack's entry (sources, the building door, Marie and Claire) on its demo.

    The Old Town Flat's guests have one PIN on both its keypads, Marie a turnover code on
    every unit and Claire, the owner, a permanent code (no dates) on the Seaside Loft.
    """
    async with dev_stack(hass) as (sims, demo, entry):
        thekeys = sims.thekeys
        members = [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_STAFF]
        assert {(s.title, s.data[CONF_ROLE]) for s in members} == {
            (member.name, member.role) for member in demo.staff
        }
        assert {m.name for m in demo.staff} == {"Marie", "Claire"}

        (extra,) = demo.doors[BUILDING_UNIT]
        lock_id, keypad = extra.split("/")
        assert demo.locks[int(lock_id)] == (BUILDING_DOOR[1], keypad)
        main_lock = next(i for i, (name, _) in demo.locks.items() if BUILDING_UNIT in name)
        guests = [c for c in thekeys.codes(main_lock) if c.name.startswith("smoobu ")]
        at_door = {c.description: c.code for c in thekeys.codes(int(lock_id), keypad)}
        assert len(guests) == 3  # Yuki, Amélie, Mateo
        assert {c.description: c.code for c in guests}.items() <= at_door.items()

        cleaner = [c for c in thekeys.codes() if c.name == "cleaner Marie"]
        cleaned = {c.lock_id for c in cleaner}
        assert cleaned == set(demo.locks)  # every unit's keypad, and the building door
        assert all(".t." in c.description and c.start is not None for c in cleaner)
        (owner,) = [c for c in thekeys.codes() if c.name == "owner Claire"]
        seaside = next(i for i, (name, _) in demo.locks.items() if "Seaside Loft" in name)
        assert owner.lock_id == seaside
        assert owner.code == "731946"
        assert owner.permanent  # no dates: always opens
        assert owner.description.endswith(".p")
        day = the_state(hass, "sensor.seaside_loft_day")
        assert day.attributes["cleaner"] == "Marie"
        assert day.attributes["cleaner_code"] in ("scheduled", "active")


async def test_the_harbour_cabin_stays_come_from_its_airbnb_feed(
    hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    """The Airbnb-only unit: its guest in the house has a code on its keypad, named by the
    reservation code Airbnb gives (no name in its export); the next stays are coming."""
    async with dev_stack(hass) as (sims, _, _):
        _, lock_id, _, keypad = ICAL_UNIT
        guest = the_state(hass, "sensor.harbour_cabin_current_guest")
        assert guest.state.startswith("Airbnb HM"), guest
        code = the_state(hass, "sensor.harbour_cabin_access_code")
        assert code.state == "active", code
        day = the_state(hass, "sensor.harbour_cabin_day")
        assert day.state not in ("unknown", "unavailable"), day
        answer: Any = await hass.services.async_call(
            DOMAIN, "get_stays", {}, blocking=True, return_response=True
        )
        cabin = [s for s in answer["stays"] if s["unit"] == ICAL_UNIT[0]]
        assert len(cabin) == 3, cabin
        (in_house,) = [s for s in cabin if s["guest"] == guest.state]
        on_keypad = {c.name: c.code for c in sims.thekeys.codes(lock_id, keypad)}
        assert on_keypad.get(f"ical {guest.state}") == in_house["pin"], on_keypad


def _dev_stack_entry(sims: Demo, demo: DemoSet) -> MockConfigEntry:
    """The entry the dev stack makes through the flows, built from the same demo set."""
    names: list[dict[str, tuple[str, str | None]]] = [dict(SMOOBU_UNITS), dict(HOTELRUNNER_UNITS)]
    smoobu_units, hotelrunner_units = (unit_map(units) for units in names)
    ical = sims.ical_subentry()
    ical_units = ical["data"][CONF_UNITS]
    unique_ids: dict[str, str] = {}
    for prefix, units in (
        (f"smoobu-{sims.smoobu.user_id}", smoobu_units),
        (f"hotelrunner-{anonymous_id(sims.hotelrunner.hr_id)}", hotelrunner_units),
        (str(ical["unique_id"]), ical_units),
    ):
        for unit_id, unit in units.items():
            unit[CONF_DOORS] = list(demo.doors.get(unit["name"], ()))
            unique_ids[unit["name"]] = f"{prefix}_{unit_id}"
    staff = [
        ConfigSubentryData(
            data={
                CONF_NAME: member.name,
                CONF_ROLE: member.role,
                CONF_UNIT_IDS: [unique_ids[name] for name in (member.units or tuple(unique_ids))],
                CONF_DOORS: [],
                CONF_TURNOVER: member.turnover,
                CONF_PERMANENT: member.permanent,
                **({CONF_PIN: member.pin} if member.pin else {}),
            },
            subentry_type=SUBENTRY_STAFF,
            title=member.name,
            unique_id=None,
        )
        for member in demo.staff
    ]
    base = sims.entry()
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=base.unique_id,
        title=base.title,
        data=dict(base.data),
        subentries_data=[
            sims.smoobu_subentry(units=smoobu_units),
            sims.hotelrunner_subentry(units=hotelrunner_units),
            sims.ical_subentry(units=ical_units),
            *staff,
        ],
    )


async def test_the_tests_demo_has_the_harbour_cabin_only_when_asked(
    hass: HomeAssistant, enable_custom_integrations: None, demo: Demo
) -> None:
    """`demo.entry(ical=True)`: its lock joins the account then, the other tests keep five."""
    _, lock_id, _, keypad = ICAL_UNIT
    assert not demo.thekeys.has_lock(lock_id)
    entry = await set_up(hass, demo.entry(ical=True))
    assert demo.thekeys.has_lock(lock_id)
    (ical,) = [s for s in entry.subentries.values() if s.subentry_type == "ical"]
    assert ical.title == "Airbnb: Harbour Cabin"
    assert re.fullmatch(r"ical-[0-9a-f]{12}", str(ical.unique_id))
    guest = the_state(hass, "sensor.harbour_cabin_current_guest").state
    assert guest.startswith("Airbnb HM")
    assert f"ical {guest}" in {c.name for c in demo.thekeys.codes(lock_id, keypad)}
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
