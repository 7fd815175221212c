"""The demo stack as the dev server serves it: three clouds behind path prefixes."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
import sys
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
from custom_components.lockbridge.const import (
    CONF_DOORS,
    CONF_NAME,
    CONF_PERMANENT,
    CONF_PIN,
    CONF_ROLE,
    CONF_TURNOVER,
    CONF_UNIT_IDS,
    DOMAIN,
    SUBENTRY_STAFF,
)
from custom_components.lockbridge.models import anonymous_id
from tests.conftest import serve
from tests.demo_stack import HOTELRUNNER_UNITS, SMOOBU_UNITS, Demo, set_up, the_state, unit_map
from tests.fakes import DemoSet, build_simulators
from tests.fakes.__main__ import make_root_app
from tests.fakes.demo import BUILDING_DOOR, BUILDING_UNIT

TODAY = date.today()  # noqa: DTZ011  # the demo is built around the real today


async def test_demo_is_readable_by_every_client(session: aiohttp.ClientSession) -> None:
    thekeys, smoobu, hotelrunner, demo = build_simulators(TODAY)
    server = await serve(make_root_app(thekeys, smoobu, hotelrunner))
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
        assert len(account.locks) == 6  # the five units' and the building door
    finally:
        process.terminate()
        await process.wait()


async def test_the_demo_staff_and_building_door_reach_the_keypads(
    hass: HomeAssistant, enable_custom_integrations: None
) -> None:
    """The dev stack's entry (sources, the building door, Marie and Claire) on its demo.

    The Old Town Flat's guests have one PIN on both its keypads, Marie a turnover code on
    every unit and Claire, the owner, a permanent code (no dates) on the Seaside Loft.
    """
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    thekeys, smoobu, hotelrunner, demo = build_simulators(today)
    server = await serve(make_root_app(thekeys, smoobu, hotelrunner))
    try:
        sims = Demo(thekeys, smoobu, hotelrunner, str(server.make_url("")).rstrip("/"))
        entry = _dev_stack_entry(sims, demo)
        await set_up(hass, entry)
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
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    finally:
        await server.close()


def _dev_stack_entry(sims: Demo, demo: DemoSet) -> MockConfigEntry:
    """The entry the dev stack makes through the flows, built from the same demo set."""
    names: list[dict[str, tuple[str, str | None]]] = [dict(SMOOBU_UNITS), dict(HOTELRUNNER_UNITS)]
    smoobu_units, hotelrunner_units = (unit_map(units) for units in names)
    unique_ids: dict[str, str] = {}
    for prefix, units in (
        (f"smoobu-{sims.smoobu.user_id}", smoobu_units),
        (f"hotelrunner-{anonymous_id(sims.hotelrunner.hr_id)}", hotelrunner_units),
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
            *staff,
        ],
    )
