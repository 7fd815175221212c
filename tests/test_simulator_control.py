"""The simulators' control API: HotelRunner reservations changed from outside, then pushed.

The Keys' too: a guest typing a PIN at a keypad, and the lock activity serrure/get shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
import json
from typing import Any

import aiohttp
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
import pytest

from tests.conftest import HR_ID, HR_TOKEN, TK_PASSWORD, TK_USERNAME, serve
from tests.fakes import HotelRunnerSimulator, SmoobuSimulator, TheKeysSimulator
from tests.fakes.__main__ import make_root_app
from tests.fakes.thekeys_activity import FIRST_LOG_ID

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


# ---- The Keys: lock activity typed at a keypad, and what serrure/get shows of it ----

KEYPAD = "KpXy34Zt"  # on lock 3001, Europe/Paris
CHECK_OUT = date(2026, 6, 15)
#: 18:00 in Paris on JUNE: inside a 15:00 -> 12:00 stay from JUNE to CHECK_OUT.
EVENING = datetime(2026, 6, 12, 16, 0, tzinfo=UTC)


class TheKeysCloud:
    """The Keys simulator read as a client does, and changed through its control routes."""

    def __init__(self, session: aiohttp.ClientSession, root: str) -> None:
        self.session = session
        self.root = root
        self.control = f"{root}/_control/thekeys"
        self._token: str | None = None

    async def _get(self, path: str) -> Any:
        if self._token is None:
            form = {"_username": TK_USERNAME, "_password": TK_PASSWORD}
            async with self.session.post(f"{self.root}/thekeys/api/login_check", data=form) as r:
                self._token = str((await r.json())["access_token"])
        headers = {"Authorization": f"Bearer {self._token}"}
        async with self.session.get(f"{self.root}/thekeys/fr/api/v2/{path}", headers=headers) as r:
            assert r.status == 200
            return (await r.json())["data"]

    async def lock(self, lock_id: int = 3001) -> dict[str, Any]:
        """``serrure/get``'s lock."""
        data: dict[str, Any] = await self._get(f"serrure/get/{lock_id}")
        return data

    async def listed(self, lock_id: int = 3001) -> dict[str, Any]:
        """The lock as ``utilisateur/get`` lists it."""
        account = await self._get(f"utilisateur/get/{TK_USERNAME}")
        return next(lock for lock in account["serrures"] if lock["id"] == lock_id)

    async def logs(self, lock_id: int = 3001) -> Any:
        return (await self.lock(lock_id))["logs"]

    async def type(self, pin: Any, keypad: str = KEYPAD) -> tuple[int, str]:
        """Type ``pin`` at ``keypad``: the answer's status and text."""
        url = f"{self.control}/keypad/{keypad}/type"
        async with self.session.post(url, json={"pin": pin}) as resp:
            return resp.status, await resp.text()

    async def put(self, path: str, body: Any) -> int:
        async with self.session.put(f"{self.control}/{path}", json=body) as resp:
            return resp.status


@pytest.fixture
async def cloud(
    session: aiohttp.ClientSession,
    thekeys_sim: TheKeysSimulator,
    smoobu_sim: SmoobuSimulator,
    hotelrunner_sim: HotelRunnerSimulator,
    freezer: FrozenDateTimeFactory,
) -> AsyncIterator[TheKeysCloud]:
    """The Keys simulator served with the control routes, on JUNE's evening in Paris."""
    freezer.move_to(EVENING)
    server = await serve(make_root_app(thekeys_sim, smoobu_sim, hotelrunner_sim))
    yield TheKeysCloud(session, str(server.make_url("")).rstrip("/"))
    await server.close()


def stay_code(sim: TheKeysSimulator, pin: str = "4821", **options: Any) -> int:
    """A 15:00 -> 12:00 stay's code on KEYPAD, from JUNE to CHECK_OUT."""
    return sim.add_code(3001, KEYPAD, "Zoë Müller", pin, JUNE, CHECK_OUT, **options)


def keypad_info(lock: dict[str, Any], keypad: str = KEYPAD) -> Any:
    (item,) = [a for a in lock["accessoires"] if a["accessoire"]["id_accessoire"] == keypad]
    return item["info"]


def brief(entry: dict[str, Any] | None) -> tuple[Any, Any]:
    """An entry's status and code; (None, None) when nothing was logged."""
    return (entry["status"], entry["accessory_share_id"]) if entry else (None, None)


def paris(moment: str) -> dict[str, Any]:
    return {"date": f"{moment}.000000", "timezone_type": 3, "timezone": "Europe/Paris"}


async def test_the_right_pin_in_its_window_logs_an_open_entry_naming_the_code(
    cloud, thekeys_sim, freezer
) -> None:
    share_id = stay_code(thekeys_sim)

    status, text = await cloud.type("4821")

    assert (status, json.loads(text)) == (200, {"logged": True, "opened": True})
    assert "4821" not in text
    lock = await cloud.lock()
    (keypad,) = [a["accessoire"] for a in lock["accessoires"] if a["accessoire"]["type"] == 2]
    assert lock["logs"] == [
        {
            "id": FIRST_LOG_ID,
            "action_at": paris("2026-06-12 18:00:00"),
            "created_at": paris("2026-06-12 18:00:00"),
            "action": "open",
            "data": {"ts": int(EVENING.timestamp())},
            "status": 1,
            "share_id": None,
            "accessory_share_id": share_id,
            "utilisateur": "Zoë Müller",
            "utilisateur_id": None,
            "accessoire_id": keypad["id"],
        }
    ]
    assert lock["logSequence"] == FIRST_LOG_ID
    assert (await cloud.listed())["logSequence"] == FIRST_LOG_ID
    assert thekeys_sim.logs(3001) == lock["logs"]
    assert await cloud.logs(3002) == []
    # The latch opened, then closes again by itself.
    assert lock["etat"] == "open"
    freezer.tick(timedelta(seconds=2))
    assert (await cloud.lock())["etat"] == "closed"


async def test_a_wrong_pin_is_refused_and_names_no_code(cloud, thekeys_sim) -> None:
    stay_code(thekeys_sim)

    status, text = await cloud.type("0000")

    assert (status, json.loads(text)) == (200, {"logged": True, "opened": False})
    (entry,) = await cloud.logs()
    assert (entry["action"], entry["status"]) == ("code_refused", 0)
    assert (entry["accessory_share_id"], entry["utilisateur"]) == (None, None)
    assert thekeys_sim.lock_state(3001) == "closed"


@pytest.mark.parametrize(
    ("moment", "options"),
    [
        pytest.param(datetime(2026, 6, 12, 12, 59, tzinfo=UTC), {}, id="before check-in"),
        pytest.param(datetime(2026, 6, 15, 10, 0, tzinfo=UTC), {}, id="at check-out"),
        pytest.param(EVENING, {"active": False}, id="inactive"),
    ],
)
async def test_the_right_pin_out_of_its_window_is_refused_naming_the_code(
    cloud, thekeys_sim, freezer, moment, options
) -> None:
    share_id = stay_code(thekeys_sim, **options)
    freezer.move_to(moment)

    status, text = await cloud.type("4821")

    assert (status, json.loads(text)) == (200, {"logged": True, "opened": False})
    (entry,) = await cloud.logs()
    assert (entry["action"], entry["status"]) == ("code_refused", 0)
    assert (entry["accessory_share_id"], entry["utilisateur"]) == (share_id, "Zoë Müller")
    assert thekeys_sim.lock_state(3001) == "closed"


async def test_a_window_is_read_in_the_lock_time_zone(cloud, thekeys_sim, freezer) -> None:
    paris_code = stay_code(thekeys_sim)
    lisbon_code = thekeys_sim.add_code(3002, "KpAa11Bb", "Lea Roux", "5555", JUNE, CHECK_OUT)

    freezer.move_to(datetime(2026, 6, 12, 13, 30, tzinfo=UTC))  # 15:30 in Paris, 14:30 Lisbon
    opened = thekeys_sim.type_pin(KEYPAD, "4821")
    refused = thekeys_sim.type_pin("KpAa11Bb", "5555")
    freezer.move_to(datetime(2026, 6, 12, 14, 0, tzinfo=UTC))  # 15:00 in Lisbon: check-in
    at_check_in = thekeys_sim.type_pin("KpAa11Bb", "5555")

    assert brief(opened) == (1, paris_code)
    assert brief(refused) == (0, lisbon_code)
    assert brief(at_check_in) == (1, lisbon_code)
    assert at_check_in is not None
    assert at_check_in["action_at"]["timezone"] == "Europe/Lisbon"
    assert at_check_in["action_at"]["date"] == "2026-06-12 15:00:00.000000"


async def test_a_code_without_times_holds_for_whole_days(thekeys_sim) -> None:
    code_id = thekeys_sim.add_code(
        3001, KEYPAD, "Owner", "1357", JUNE, JUNE, start_time=None, end_time=None
    )
    (code,) = [c for c in thekeys_sim.codes() if c.id == code_id]
    midnight = datetime(2026, 6, 11, 22, 0, tzinfo=UTC)  # 00:00 in Paris on JUNE

    assert thekeys_sim.code_open_at(code, midnight)
    assert thekeys_sim.code_open_at(code, datetime(2026, 6, 12, 23, 59))  # naive: Paris time
    assert not thekeys_sim.code_open_at(code, midnight - timedelta(seconds=1))
    assert not thekeys_sim.code_open_at(code, midnight + timedelta(days=1))
    assert thekeys_sim.type_pin(KEYPAD, "1357", midnight + timedelta(hours=12)) is not None


async def test_refused_codes_can_go_unlogged(cloud, thekeys_sim, freezer) -> None:
    share_id = stay_code(thekeys_sim)
    assert await cloud.put("activity", {"log_refused": False}) == 200

    assert await cloud.type("0000") == (200, '{"logged": false, "opened": false}')
    freezer.move_to(datetime(2026, 6, 20, 12, 0, tzinfo=UTC))
    assert (await cloud.type("4821"))[0] == 200
    assert await cloud.logs() == []
    freezer.move_to(EVENING)
    assert (await cloud.type("4821"))[1] == '{"logged": true, "opened": true}'
    assert [e["accessory_share_id"] for e in await cloud.logs()] == [share_id]


async def test_an_entry_shows_once_the_log_delay_has_passed(cloud, thekeys_sim, freezer) -> None:
    stay_code(thekeys_sim)
    assert await cloud.put("activity", {"log_delay": 30}) == 200
    assert thekeys_sim.log_delay == 30.0

    assert (await cloud.type("4821"))[1] == '{"logged": true, "opened": true}'
    hidden = await cloud.lock()
    freezer.tick(timedelta(seconds=29))
    still_hidden = await cloud.lock()
    freezer.tick(timedelta(seconds=1))
    shown = await cloud.lock()

    assert (hidden["logs"], hidden["logSequence"]) == ([], 0)
    assert (still_hidden["logs"], still_hidden["logSequence"]) == ([], 0)
    (entry,) = shown["logs"]
    assert shown["logSequence"] == entry["id"]
    assert entry["action_at"] == paris("2026-06-12 18:00:00")
    assert entry["created_at"] == paris("2026-06-12 18:00:30")


async def test_at_most_max_logs_newest_entries_in_either_order(cloud, thekeys_sim, freezer) -> None:
    stay_code(thekeys_sim)
    for _ in range(5):
        thekeys_sim.type_pin(KEYPAD, "0000")
        freezer.tick(timedelta(seconds=1))
    ids = [entry["id"] for entry in thekeys_sim.logs(3001)]
    assert ids == sorted(set(ids))
    assert len(ids) == 5

    assert [e["id"] for e in await cloud.logs()] == ids[::-1]
    assert await cloud.put("activity", {"max_logs": 3}) == 200
    assert [e["id"] for e in await cloud.logs()] == ids[:1:-1]
    assert await cloud.put("activity", {"logs_oldest_first": True}) == 200
    assert [e["id"] for e in await cloud.logs()] == ids[2:]
    assert await cloud.put("activity", {"max_logs": 0}) == 200
    assert await cloud.logs() == []
    assert (await cloud.lock())["logSequence"] == ids[-1]


async def test_the_open_action_is_a_setting(cloud, thekeys_sim) -> None:
    stay_code(thekeys_sim)
    async with cloud.session.put(
        f"{cloud.control}/activity", json={"open_action": "unlock"}
    ) as resp:
        settings = await resp.json()

    assert settings == {
        "log_delay": 0.0,
        "log_refused": True,
        "open_action": "unlock",
        "max_logs": 50,
        "logs_oldest_first": False,
    }
    await cloud.type("4821")
    assert [e["action"] for e in await cloud.logs()] == ["unlock"]


async def test_odd_entries_and_raw_logs_are_shown_as_given(cloud, thekeys_sim) -> None:
    stay_code(thekeys_sim)
    odd: list[Any] = [
        "junk",
        {"id": 99, "action": "teleport", "action_at": {"date": "9999-12-31 23:59:59.000000"}},
        {"id": "x", "accessory_share_id": 123456789},
    ]
    for raw in odd:
        thekeys_sim.add_log(3001, raw)
    typed = thekeys_sim.type_pin(KEYPAD, "4821")
    assert typed is not None

    lock = await cloud.lock()
    assert lock["logs"] == [typed, *odd[::-1]]
    assert lock["logSequence"] == typed["id"]
    big = ["x" * 1000] * 10_000  # some 10 MB
    for raw in ("not a list", {"0": typed}, 0, big):
        thekeys_sim.set_raw_logs(3001, raw)
        assert await cloud.logs() == raw
    assert await cloud.logs(3002) == []
    thekeys_sim.set_raw_logs(3001, None)
    assert await cloud.logs() == [typed, *odd[::-1]]
    with pytest.raises(KeyError):
        thekeys_sim.add_log(9999, {})


async def test_a_keypad_is_seen_now_unless_told_otherwise(cloud, thekeys_sim) -> None:
    now = {"last_seen": "2026-06-12T18:00:00"}  # EVENING in Paris, without offset
    for lock in (await cloud.lock(), await cloud.listed()):
        assert keypad_info(lock) == now
        (gateway,) = [a for a in lock["accessoires"] if a["accessoire"]["type"] == 1]
        assert gateway["info"] == now | {"ip": gateway["info"]["ip"]}
    assert keypad_info(await cloud.listed(3002), "KpCc22Dd") == {
        "last_seen": "2026-06-12T17:00:00"  # Lisbon
    }

    cases = [
        ("2026-01-01T09:59:00", {"last_seen": "2026-01-01T09:59:00"}),  # local time as given
        ("2026-01-01T08:59:00+00:00", {"last_seen": "2026-01-01T09:59:00"}),
        (None, None),
    ]
    for given, shown in cases:
        assert await cloud.put(f"keypad/{KEYPAD}/seen", {"last_seen": given}) == 200
        lock = await cloud.lock()
        assert keypad_info(lock) == shown
        assert lock["accessoires"][-1]["accessoire"]["info"] == shown
        assert keypad_info(await cloud.listed()) == shown
    assert keypad_info(await cloud.listed(3002), "KpCc22Dd") == {"last_seen": "2026-06-12T17:00:00"}


async def test_the_control_api_sets_a_lock_battery(cloud, thekeys_sim) -> None:
    assert await cloud.put("locks/3002/battery", {"battery": 6100}) == 200

    assert (await cloud.lock(3002))["battery"] == 6100
    assert (await cloud.listed(3002))["battery"] == 6100


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", f"keypad/{KEYPAD}/type", {"pin": 4821}, 400),
        ("POST", f"keypad/{KEYPAD}/type", {}, 400),
        ("POST", f"keypad/{KEYPAD}/type", ["4821"], 400),
        ("POST", "keypad/KpNope000/type", {"pin": "4821"}, 404),
        ("PUT", "activity", {"log_delay": "soon"}, 400),
        ("PUT", "activity", {"log_delay": -1}, 400),
        ("PUT", "activity", {"log_refused": 1}, 400),
        ("PUT", "activity", {"max_logs": 2.5}, 400),
        ("PUT", "activity", {"open_action": ""}, 400),
        ("PUT", "activity", {"max_logs": 3, "log_dealy": 5}, 400),
        ("PUT", "locks/3001/battery", {"battery": "full"}, 400),
        ("PUT", "locks/3001/battery", {"battery": True}, 400),
        ("PUT", "locks/9999/battery", {"battery": 7000}, 404),
        ("PUT", "locks/abc/battery", {"battery": 7000}, 404),
        ("PUT", f"keypad/{KEYPAD}/seen", {"last_seen": "yesterday"}, 400),
        ("PUT", f"keypad/{KEYPAD}/seen", {"last_seen": 1767258000}, 400),
        ("PUT", f"keypad/{KEYPAD}/seen", {}, 400),
        ("PUT", "keypad/KpNope000/seen", {"last_seen": None}, 404),
    ],
)
async def test_the_keys_control_refuses_bad_requests(
    cloud, thekeys_sim, method, path, body, status
) -> None:
    stay_code(thekeys_sim)
    before = (await cloud.lock(), thekeys_sim.max_logs, thekeys_sim.log_delay)

    async with cloud.session.request(method, f"{cloud.control}/{path}", json=body) as resp:
        assert resp.status == status
        assert "4821" not in await resp.text()

    assert (await cloud.lock(), thekeys_sim.max_logs, thekeys_sim.log_delay) == before


async def test_the_keys_control_refuses_a_body_that_is_not_json(cloud) -> None:
    url = f"{cloud.control}/keypad/{KEYPAD}/type"
    async with cloud.session.post(url, data="pin=4821") as resp:
        assert resp.status == 400
