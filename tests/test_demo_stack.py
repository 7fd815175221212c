"""The demo stack as the dev server serves it: three clouds behind path prefixes."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
import sys

import aiohttp

from custom_components.lockbridge.api import (
    CommunicationError,
    HotelRunnerClient,
    SmoobuClient,
    TheKeysClient,
)
from tests.conftest import serve
from tests.fakes import build_simulators
from tests.fakes.__main__ import make_root_app

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
        assert len(account.locks) == 5
    finally:
        process.terminate()
        await process.wait()
