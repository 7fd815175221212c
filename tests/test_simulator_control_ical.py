"""The iCal simulator served with the others, and its control API, over real HTTP.

(Apart from test_simulator_control.py, which is at its 500 lines.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import aiohttp
import pytest

from tests.conftest import serve
from tests.fakes import HotelRunnerSimulator, IcalSimulator, SmoobuSimulator, TheKeysSimulator
from tests.fakes.__main__ import make_root_app

JUNE = date(2026, 6, 12)


@dataclass
class Served:
    """The root app's address, the iCal simulator behind it and one Airbnb feed."""

    base: str
    sim: IcalSimulator
    token: str

    @property
    def feed(self) -> str:
        return f"{self.base}/ical/feeds/{self.token}.ics"

    @property
    def control(self) -> str:
        return f"{self.base}/_control/ical/feeds/{self.token}"


@pytest.fixture
async def served(
    thekeys_sim: TheKeysSimulator,
    smoobu_sim: SmoobuSimulator,
    hotelrunner_sim: HotelRunnerSimulator,
) -> AsyncIterator[Served]:
    sim = IcalSimulator()
    token = sim.add_feed("airbnb")
    server = await serve(make_root_app(thekeys_sim, smoobu_sim, hotelrunner_sim, sim))
    yield Served(str(server.make_url("")).rstrip("/"), sim, token)
    await server.close()


async def read(session: aiohttp.ClientSession, served: Served) -> tuple[int, str]:
    async with session.get(served.feed) as resp:
        return resp.status, await resp.text()


async def test_the_feeds_are_served_under_ical_with_their_etag(
    session: aiohttp.ClientSession, served: Served
) -> None:
    served.sim.book(served.token, JUNE, date(2026, 6, 15), phone_last4="4417")

    async with session.get(served.feed) as resp:
        assert resp.status == 200
        assert resp.content_type == "text/calendar"
        etag = resp.headers["ETag"]
        body = await resp.text()
    assert "SUMMARY:Reserved" in body
    assert "Phone Number (Last 4 Digits): 4417" in body
    async with session.get(served.feed, headers={"If-None-Match": etag}) as resp:
        assert resp.status == 304
    async with session.get(f"{served.base}/ical/feeds/unknown.ics") as resp:
        assert resp.status == 404
    assert served.sim.count("/feeds/") == 3


async def test_control_adds_moves_and_removes_a_reservation(
    session: aiohttp.ClientSession, served: Served
) -> None:
    body = {"start": "2026-06-12", "end": "2026-06-15", "phone_last4": "4417"}
    async with session.post(f"{served.control}/reservations", json=body) as resp:
        added = await resp.json()
    uid = added["uid"]
    assert uid.endswith("@airbnb.sim")
    assert (added["start"], added["end"], added["phone_last4"]) == (
        "2026-06-12",
        "2026-06-15",
        "4417",
    )
    assert added["code"].startswith("HM")
    assert f"UID:{uid}" in (await read(session, served))[1]

    async with session.patch(
        f"{served.control}/reservations/{uid}", json={"end": "2026-06-17"}
    ) as resp:
        moved = await resp.json()
    assert (moved["uid"], moved["start"], moved["end"]) == (uid, "2026-06-12", "2026-06-17")
    assert "DTEND;VALUE=DATE:20260617" in (await read(session, served))[1]

    async with session.delete(f"{served.control}/reservations/{uid}") as resp:
        assert (await resp.json())["uid"] == uid
    assert "BEGIN:VEVENT" not in (await read(session, served))[1]
    assert served.sim.count() == 3  # the feed's reads only: control calls are not logged


async def test_control_adds_a_block_and_a_named_guest(
    session: aiohttp.ClientSession, served: Served
) -> None:
    vrbo = served.sim.add_feed("vrbo")
    control = f"{served.base}/_control/ical/feeds/{vrbo}/reservations"
    async with session.post(control, json={"start": "2026-06-12", "end": "2026-06-14"}) as resp:
        assert resp.status == 200
    body = {"start": "2026-06-20", "end": "2026-06-22", "guest": "Lea Roux"}
    async with session.post(control, json=body) as resp:
        assert (await resp.json())["guest"] == "Lea Roux"
    async with session.post(control, json=body | {"block": True}) as resp:
        assert (await resp.json())["block"] is True

    async with session.get(f"{served.base}/ical/feeds/{vrbo}.ics") as resp:
        text = await resp.text()
    assert text.count("SUMMARY:Reserved - Lea Roux") == 1
    assert text.count("SUMMARY:Blocked") == 1


async def test_control_makes_a_feed_fail_come_back_empty_or_hide_an_event(
    session: aiohttp.ClientSession, served: Served
) -> None:
    kept = served.sim.book(served.token, JUNE, date(2026, 6, 15))
    hidden = served.sim.book(served.token, date(2026, 7, 1), date(2026, 7, 3))

    async with session.put(served.control, json={"fail_next": 2, "status": 503}) as resp:
        assert (await resp.json())["fail_next"] == 2
    assert (await read(session, served))[0] == 503
    assert (await read(session, served))[0] == 503
    assert (await read(session, served))[0] == 200

    async with session.put(served.control, json={"fail_next": 1, "status": 0}) as resp:
        assert resp.status == 200
    async with session.get(served.feed) as resp:  # a sign-in page instead of the calendar
        assert (resp.status, resp.content_type) == (200, "text/html")

    async with session.put(served.control, json={"hide": [hidden.uid], "reads": 1}) as resp:
        assert await resp.json() == {
            "fail_next": 0,
            "status": 0,
            "empty": False,
            "hidden": [hidden.uid],
            "reads": 1,
        }
    text = (await read(session, served))[1]
    assert kept.uid in text
    assert hidden.uid not in text
    assert hidden.uid in (await read(session, served))[1]  # back at the next read

    async with session.put(served.control, json={"empty": True}) as resp:
        assert (await resp.json())["empty"] is True
    assert "BEGIN:VEVENT" not in (await read(session, served))[1]
    async with session.put(served.control, json={"empty": False}) as resp:
        assert (await resp.json())["empty"] is False
    assert kept.uid in (await read(session, served))[1]


async def test_control_fails_the_whole_ical_cloud(
    session: aiohttp.ClientSession, served: Served
) -> None:
    async with session.put(f"{served.base}/_control/ical/faults", json={"fail_next": 1}) as resp:
        assert await resp.json() == {"fail_next": 1}
    assert (await read(session, served))[0] == 500
    assert (await read(session, served))[0] == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/_control/ical/feeds/unknown/reservations"),
        ("PUT", "/_control/ical/feeds/unknown"),
        ("PATCH", "/_control/ical/feeds/{token}/reservations/unknown"),
        ("DELETE", "/_control/ical/feeds/{token}/reservations/unknown"),
    ],
)
async def test_control_answers_404_for_an_unknown_feed_or_event(
    session: aiohttp.ClientSession, served: Served, method: str, path: str
) -> None:
    body = {"start": "2026-06-12", "end": "2026-06-15"}
    url = served.base + path.format(token=served.token)
    async with session.request(method, url, json=body) as resp:
        assert resp.status == 404


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"end": "2026-06-15"},
        {"start": "12/06/2026", "end": "2026-06-15"},
        {"start": "2026-06-15", "end": "2026-06-15"},
        {"start": "2026-06-12", "end": "2026-06-15", "guest": 7},
    ],
)
async def test_control_refuses_a_reservation_that_is_no_stay(
    session: aiohttp.ClientSession, served: Served, body: object
) -> None:
    async with session.post(f"{served.control}/reservations", json=body) as resp:
        assert resp.status == 400
    assert served.sim.feeds[served.token].events == []


@pytest.mark.parametrize(
    "body", [{"fail_next": "many"}, {"hide": "uid"}, {"hide": [1]}, {"hide": [], "reads": "x"}]
)
async def test_control_refuses_bad_feed_settings(
    session: aiohttp.ClientSession, served: Served, body: object
) -> None:
    async with session.put(served.control, json=body) as resp:
        assert resp.status == 400


async def test_without_an_ical_simulator_nothing_is_mounted(
    session: aiohttp.ClientSession,
    thekeys_sim: TheKeysSimulator,
    smoobu_sim: SmoobuSimulator,
    hotelrunner_sim: HotelRunnerSimulator,
) -> None:
    server = await serve(make_root_app(thekeys_sim, smoobu_sim, hotelrunner_sim))
    try:
        async with session.put(server.make_url("/_control/ical/faults"), json={}) as resp:
            assert resp.status == 404
        async with session.get(server.make_url("/ical/feeds/x.ics")) as resp:
            assert resp.status == 404
    finally:
        await server.close()
