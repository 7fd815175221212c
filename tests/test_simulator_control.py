"""The simulators' control API: HotelRunner reservations changed from outside, then pushed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
import json
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from tests.conftest import HR_ID, HR_TOKEN, serve
from tests.fakes import HotelRunnerSimulator, SmoobuSimulator, TheKeysSimulator
from tests.fakes.__main__ import make_root_app

JUNE = date(2026, 6, 12)


class Inbox:
    """The callback URL given to HotelRunner: keeps the reservations of every push."""

    def __init__(self) -> None:
        self.url = ""
        self.pushed: list[dict[str, Any]] = []

    async def receive(self, request: web.Request) -> web.Response:
        assert (request.query["token"], request.query["hr_id"]) == (HR_TOKEN, HR_ID)
        form = await request.post()
        self.pushed += json.loads(str(form["data"]))["reservations"]
        return web.json_response({"status": "ok"})


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    box = Inbox()
    app = web.Application()
    app.router.add_post("/callback", box.receive)
    server = await serve(app)
    box.url = str(server.make_url("/callback"))
    yield box
    await server.close()


@pytest.fixture
async def control(
    session: aiohttp.ClientSession,
    thekeys_sim: TheKeysSimulator,
    smoobu_sim: SmoobuSimulator,
    hotelrunner_sim: HotelRunnerSimulator,
    inbox: Inbox,
) -> AsyncIterator[str]:
    """Base URL of HotelRunner's control routes, its push URL already set through them."""
    server = await serve(make_root_app(thekeys_sim, smoobu_sim, hotelrunner_sim))
    base = str(server.make_url("/_control/hotelrunner"))
    async with session.put(f"{base}/webhook", json={"url": inbox.url}) as resp:
        assert await resp.json() == {"url": inbox.url}
    yield base
    await server.close()


def stay(res: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (line["inv_code"], line["checkin_date"], line["checkout_date"]) for line in res["rooms"]
    ]


async def test_control_adds_a_reservation_and_pushes_it(
    session, control, hotelrunner_sim, inbox
) -> None:
    body = {"room": "HR:2", "checkin": "2026-06-12", "checkout": "2026-06-15", "guest": "Lea Roux"}

    async with session.post(f"{control}/reservations", json=body) as resp:
        answer = await resp.json()

    assert answer == hotelrunner_sim.reservations[answer["hr_number"]]
    assert (answer["guest"], answer["state"]) == ("Lea Roux", "confirmed")
    assert stay(answer) == [("HR:2", "2026-06-12", "2026-06-15")]
    assert inbox.pushed == [answer]
    assert hotelrunner_sim.push_answers == [200]
    assert not hotelrunner_sim.is_delivered(answer["hr_number"])
    assert hotelrunner_sim.count() == 0  # neither counted nor logged as API requests


async def test_control_moves_a_reservation_and_pushes_it(
    session, control, hotelrunner_sim, inbox
) -> None:
    hr_number = hotelrunner_sim.add_reservation("Lea Roux", [("HR:1", JUNE, date(2026, 6, 14))])
    old_uid = hotelrunner_sim.reservations[hr_number]["message_uid"]

    async with session.patch(
        f"{control}/reservations/{hr_number}", json={"checkout": "2026-06-16"}
    ) as resp:
        moved = await resp.json()

    assert stay(moved) == [("HR:1", "2026-06-12", "2026-06-16")]
    assert (moved["checkin_date"], moved["checkout_date"]) == ("2026-06-12", "2026-06-16")
    assert moved["modified"] is True
    assert moved["message_uid"] != old_uid
    assert inbox.pushed == [moved]

    async with session.patch(
        f"{control}/reservations/{hr_number}", json={"checkin": "2026-06-13"}
    ) as resp:
        assert stay(await resp.json()) == [("HR:1", "2026-06-13", "2026-06-16")]
    assert len(inbox.pushed) == 2


async def test_control_cancels_a_reservation_and_pushes_it(
    session, control, hotelrunner_sim, inbox
) -> None:
    hr_number = hotelrunner_sim.add_reservation("Lea Roux", [("HR:1", JUNE, date(2026, 6, 14))])

    async with session.delete(f"{control}/reservations/{hr_number}") as resp:
        cancelled = await resp.json()

    assert cancelled["state"] == "canceled"
    assert {line["state"] for line in cancelled["rooms"]} == {"canceled"}
    assert inbox.pushed == [cancelled]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_control_answers_404_for_an_unknown_reservation(
    session, control, hotelrunner_sim, method
) -> None:
    async with session.request(
        method, f"{control}/reservations/R000000000", json={"checkin": "2026-06-13"}
    ) as resp:
        assert resp.status == 404
    assert hotelrunner_sim.push_answers == []


async def test_control_will_not_guess_which_room_line_to_move(
    session, control, hotelrunner_sim
) -> None:
    hr_number = hotelrunner_sim.add_reservation(
        "Lea Roux", [("HR:1", JUNE, date(2026, 6, 14)), ("HR:2", JUNE, date(2026, 6, 14))]
    )

    async with session.patch(
        f"{control}/reservations/{hr_number}", json={"checkout": "2026-06-16"}
    ) as resp:
        assert resp.status == 409
    assert hotelrunner_sim.push_answers == []


async def test_control_clears_the_push_url(session, control, hotelrunner_sim, inbox) -> None:
    async with session.put(f"{control}/webhook", json={"url": ""}) as resp:
        assert await resp.json() == {"url": None}
    hr_number = hotelrunner_sim.add_reservation("Lea Roux", [("HR:1", JUNE, date(2026, 6, 14))])

    async with session.delete(f"{control}/reservations/{hr_number}") as resp:
        assert resp.status == 200

    assert hotelrunner_sim.push_url is None
    assert inbox.pushed == []
