"""Contract tests: the HotelRunner client and its request budget against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
import json
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.lockbridge.api import (
    ApiTimeoutError,
    AuthenticationError,
    BudgetExhaustedError,
    CommunicationError,
    HotelRunnerClient,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    RequestBudget,
    RequestRejectedError,
)
from tests.conftest import HR_ID, HR_TOKEN, raises_clean, serve
from tests.fakes import HotelRunnerSimulator

JUNE = date(2026, 6, 12)


class WallClock:
    """A wall clock shared by the simulator and the client's budget."""

    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


def make_client(
    session: aiohttp.ClientSession,
    url: str,
    *,
    token: str = HR_TOKEN,
    budget: RequestBudget | None = None,
    **kwargs: object,
) -> HotelRunnerClient:
    return HotelRunnerClient(session, token, HR_ID, base_url=url, budget=budget, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
async def timed_sim(clock: WallClock) -> AsyncIterator[tuple[HotelRunnerSimulator, str]]:
    """A simulator whose quota runs on the test's clock, and its base URL."""
    sim = HotelRunnerSimulator(token=HR_TOKEN, hr_id=HR_ID, clock=clock)
    sim.add_room("HR:1", "Standard Room")
    server = await serve(sim.make_app())
    yield sim, str(server.make_url("/api/v2/apps"))
    await server.close()


async def test_rooms(session, hotelrunner_url) -> None:
    rooms = await make_client(session, hotelrunner_url).get_rooms()

    by_rate = {room.rate_code: room for room in rooms}
    assert by_rate["HR:1"].name == "Standard Room"
    assert by_rate["NR:HR:1"].inv_code == "HR:1"
    assert by_rate["HR:2"].name == "Deluxe Suite"
    assert any(room.is_master for room in rooms)
    assert "NR:HR:2" not in by_rate


async def test_reservation_fields_and_room_lines(session, hotelrunner_url, hotelrunner_sim) -> None:
    hr_number = hotelrunner_sim.add_reservation(
        "Ayşe Yılmaz",
        [
            ("HR:1", JUNE, JUNE + timedelta(days=3)),
            ("HR:2", JUNE + timedelta(days=1), JUNE + timedelta(days=3)),
        ],
        email="ayse@example.com",
        phone="+905321112233",
    )

    (found,) = await make_client(session, hotelrunner_url).get_reservations(
        from_date=JUNE - timedelta(days=400)
    )

    assert found.hr_number == hr_number
    assert (found.guest_name, found.firstname, found.lastname) == ("Ayşe Yılmaz", "Ayşe", "Yılmaz")
    assert (found.email, found.phone, found.state) == (
        "ayse@example.com",
        "+905321112233",
        "confirmed",
    )
    assert (found.checkin, found.checkout) == (JUNE, JUNE + timedelta(days=3))
    assert found.updated_at is not None
    assert found.updated_at.tzinfo is not None
    assert len(found.message_uids) == 1
    assert [(s.inv_code, s.checkin, s.checkout, s.state) for s in found.rooms] == [
        ("HR:1", JUNE, JUNE + timedelta(days=3), "confirmed"),
        ("HR:2", JUNE + timedelta(days=1), JUNE + timedelta(days=3), "confirmed"),
    ]
    assert "ayse@example.com" not in repr(found)


async def test_every_page_is_read(session, hotelrunner_url, hotelrunner_sim) -> None:
    numbers = {
        hotelrunner_sim.add_reservation(f"Guest {i}", [("HR:1", JUNE, JUNE + timedelta(days=1))])
        for i in range(60)
    }

    found = await make_client(session, hotelrunner_url).get_reservations()

    assert {r.hr_number for r in found} == numbers
    listed = [r.query for r in hotelrunner_sim.requests if r.path.endswith("/reservations")]
    assert [(q["page"], q["per_page"], q["undelivered"]) for q in listed] == [
        ("1", "50", "false"),
        ("2", "50", "false"),
    ]


async def test_page_cap_refuses_a_partial_listing(
    session, hotelrunner_url, hotelrunner_sim
) -> None:
    for i in range(60):
        hotelrunner_sim.add_reservation(f"Guest {i}", [("HR:1", JUNE, JUNE + timedelta(days=1))])

    with raises_clean(InvalidResponseError):
        await make_client(session, hotelrunner_url, max_pages=1).get_reservations()


async def test_undelivered_queue_and_acknowledgement(
    session, hotelrunner_url, hotelrunner_sim
) -> None:
    client = make_client(session, hotelrunner_url)
    hr_number = hotelrunner_sim.add_reservation(
        "Lea Roux", [("HR:1", JUNE, JUNE + timedelta(days=2))]
    )

    (queued,) = await client.get_reservations(undelivered=True, modified=False, booked=True)
    (uid,) = queued.message_uids
    await client.acknowledge(uid, pms_number="lockbridge-1")
    assert await client.get_reservations(undelivered=True) == ()

    hotelrunner_sim.cancel_reservation(hr_number)
    (cancelled,) = await client.get_reservations(undelivered=True, reservation_number=hr_number)
    assert cancelled.state == "canceled"
    assert {line.state for line in cancelled.rooms} == {"canceled"}
    assert cancelled.message_uids != queued.message_uids

    with raises_clean(NotFoundError):
        await client.acknowledge("no-such-uid")


async def test_modified_reservation_moves_its_lines(
    session, hotelrunner_url, hotelrunner_sim
) -> None:
    client = make_client(session, hotelrunner_url)
    hr_number = hotelrunner_sim.add_reservation(
        "Lea Roux", [("HR:1", JUNE, JUNE + timedelta(days=2))]
    )

    hotelrunner_sim.modify_reservation(
        hr_number, stays=[("HR:2", JUNE + timedelta(days=7), JUNE + timedelta(days=9))]
    )

    (found,) = await client.get_reservations(from_last_update_date=JUNE - timedelta(days=400))
    assert [(s.inv_code, s.checkin) for s in found.rooms] == [("HR:2", JUNE + timedelta(days=7))]


async def test_wrong_token_is_refused_and_scrubbed(session, hotelrunner_url) -> None:
    with raises_clean(AuthenticationError) as err:
        await make_client(session, hotelrunner_url, token="not-the-token").get_rooms()
    assert "unauthorized" in str(err.value)


async def test_budget_refuses_a_burst_before_the_cloud_sees_it(session, timed_sim, clock) -> None:
    sim, url = timed_sim
    client = make_client(session, url, budget=RequestBudget(clock=clock))

    for _ in range(5):
        await client.get_rooms()
    with raises_clean(BudgetExhaustedError) as err:
        await client.get_rooms()

    assert err.value.retry_after == pytest.approx(60)
    assert sim.count("/rooms") == 5
    assert sim.quota_rejections == 0
    clock.now += 60
    await client.get_rooms()


async def test_budget_holds_over_a_simulated_day_of_greedy_polling(
    session, timed_sim, clock
) -> None:
    """A poller asking twice a minute for 24 h: the cloud never sees more than its quota."""
    sim, url = timed_sim
    budget = RequestBudget(clock=clock)
    client = make_client(session, url, budget=budget)
    sent = refused = 0

    for _ in range(24 * 60):
        clock.now += 60
        for call in (client.get_rooms, client.get_reservations):
            try:
                await call()
            except BudgetExhaustedError:
                refused += 1
            else:
                sent += 1

    assert sent == 250
    assert refused == 24 * 60 * 2 - 250
    assert sim.quota_rejections == 0
    assert len(sim.requests) == 250
    assert budget.remaining_today == 0


async def test_derived_interval_polls_all_day_without_refusal(session, timed_sim, clock) -> None:
    sim, url = timed_sim
    budget = RequestBudget(clock=clock)
    client = make_client(session, url, budget=budget)
    interval = budget.sustainable_interval(requests_per_cycle=1)
    assert interval == pytest.approx(345.6)

    polls = 0
    while polls * interval < 86_400:
        await client.get_reservations()
        polls += 1
        clock.now += interval

    assert polls == 250
    assert sim.quota_rejections == 0


async def test_budget_survives_a_restart(session, timed_sim, clock) -> None:
    sim, url = timed_sim
    first = RequestBudget(per_minute=250, clock=clock)
    client = make_client(session, url, budget=first)
    sim.enforce_quota = False
    for _ in range(250):
        await client.get_rooms()
    saved = first.export()

    restarted = RequestBudget(per_minute=250, clock=clock)
    restarted.restore(saved)

    with raises_clean(BudgetExhaustedError):
        await make_client(session, url, budget=restarted).get_rooms()
    assert restarted.used_today == 250


async def test_cloud_429_pauses_the_budget(session, timed_sim, clock) -> None:
    sim, url = timed_sim
    budget = RequestBudget(clock=clock)
    client = make_client(session, url, budget=budget)
    sim.faults.rate_limit_next = 1
    sim.faults.retry_after = "120"

    with raises_clean(RateLimitedError) as err:
        await client.get_rooms()

    assert err.value.retry_after == 120
    assert budget.wait_time() == pytest.approx(120)
    clock.now += 121
    await client.get_rooms()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("fail_next", CommunicationError),
        ("malformed_next", InvalidResponseError),
        ("timeout_next", ApiTimeoutError),
    ],
)
async def test_faults_map_to_typed_errors(
    session, hotelrunner_url, hotelrunner_sim, fault, error
) -> None:
    setattr(hotelrunner_sim.faults, fault, 1)
    client = make_client(session, hotelrunner_url, timeout=0.5)

    with raises_clean(error):
        await client.get_rooms()
    assert await client.get_rooms()


async def test_quota_exceeded_at_the_cloud(session, hotelrunner_url, hotelrunner_sim) -> None:
    """A budget more generous than the cloud: the cloud's 429 becomes RateLimitedError."""
    client = make_client(session, hotelrunner_url, budget=RequestBudget(per_minute=10))
    for _ in range(5):
        await client.get_rooms()

    with raises_clean(RateLimitedError):
        await client.get_rooms()
    assert hotelrunner_sim.quota_rejections == 1
    assert client.budget.wait_time() == pytest.approx(60, abs=1)


# --- answers no simulator gives, from a canned-reply server ------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (
            200,
            {"status": "error", "message": "state_change_is_not_available"},
            RequestRejectedError,
            "state_change",
        ),
        (200, {"status": "error", "message": "unauthorized"}, AuthenticationError, "unauthorized"),
        (200, {"status": "try_again"}, CommunicationError, "try again"),
        (400, {"message": f"bad hr_id {HR_ID}"}, RequestRejectedError, "bad hr_id ***"),
        (404, {"error": "missing"}, NotFoundError, "missing"),
        (403, None, AuthenticationError, "HTTP 403"),
        (200, {"rooms": None}, InvalidResponseError, "unexpected"),
    ],
)
async def test_error_bodies(session, stub, stub_url, status, body, error, text) -> None:
    if body is None:
        stub.reply("/rooms", status=status, text=f"token={HR_TOKEN} refused")
    else:
        stub.reply("/rooms", body, status=status)

    with raises_clean(error) as err:
        await make_client(session, stub_url).get_rooms()
    assert text in str(err.value)


async def test_unreadable_records_are_skipped(session, stub, stub_url, caplog) -> None:
    stub.reply(
        "/reservations",
        {
            "reservations": [
                "junk",
                {"hr_number": ""},
                {
                    "hr_number": "R1",
                    "state": "Confirmed",
                    "rooms": [{"inv_code": ""}, {"inv_code": "HR:1"}],
                },
            ],
            "pages": 1,
        },
    )
    stub.reply("/rooms", {"rooms": [{"inv_code": ""}, {"inv_code": "HR:9"}]})
    client = make_client(session, stub_url)

    (found,) = await client.get_reservations()
    (room,) = await client.get_rooms()

    assert (found.hr_number, found.state, [s.inv_code for s in found.rooms]) == (
        "R1",
        "confirmed",
        ["HR:1"],
    )
    assert "skipped 2 unreadable reservation records" in caplog.text
    assert (room.inv_code, room.rate_code, room.name) == ("HR:9", "HR:9", "HR:9")


async def test_reservations_without_a_list(session, stub, stub_url) -> None:
    stub.reply("/reservations", {"reservations": None})

    with raises_clean(InvalidResponseError):
        await make_client(session, stub_url).get_reservations()


# --- review findings ----------------------------------------------------------------------


async def test_stuck_page_counter_cannot_loop(session, stub, stub_url) -> None:
    page = [{"hr_number": f"R{i}"} for i in range(50)]
    stub.reply("/reservations", {"reservations": page, "current_page": 1, "pages": 3})

    await make_client(session, stub_url, budget=RequestBudget(per_minute=100)).get_reservations()

    assert stub.hits.count("/reservations") == 3


@pytest.mark.parametrize(
    ("body", "hits"),
    [
        ({"reservations": [{"hr_number": f"R{i}"} for i in range(50)]}, 1),  # full, no count
        ({"reservations": [{"hr_number": "R1"}], "pages": 21}, 1),  # above the page cap
    ],
)
async def test_listings_that_cannot_be_complete_are_refused(
    session, stub, stub_url, body, hits
) -> None:
    stub.reply("/reservations", body)

    with raises_clean(InvalidResponseError):
        await make_client(session, stub_url).get_reservations()
    assert stub.hits.count("/reservations") == hits


async def test_duplicates_keep_newest_and_every_message(session, stub, stub_url) -> None:
    newer = {
        "hr_number": "R1",
        "guest": "New",
        "updated_at": "2026-05-02T10:00:00+03:00",
        "message_uid": "m1",
    }
    older = {
        "hr_number": "R1",
        "guest": "Old",
        "updated_at": "2026-05-01T10:00:00+03:00",
        "message_uid": "m2",
    }
    stub.reply("/reservations", {"reservations": [newer, older], "pages": 1})

    (found,) = await make_client(session, stub_url).get_reservations(undelivered=True)

    assert (found.guest_name, found.message_uids) == ("New", ("m1", "m2"))


async def test_long_listing_waits_for_minute_slots(session, timed_sim, clock) -> None:
    sim, url = timed_sim
    for i in range(320):  # 7 pages of 50 against 5 requests a minute
        sim.add_reservation(f"Guest {i}", [("HR:1", JUNE, JUNE + timedelta(days=1))])
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    budget = RequestBudget(clock=clock, sleep=sleep)

    found = await make_client(session, url, budget=budget).get_reservations()

    assert len(found) == 320
    assert sim.quota_rejections == 0
    assert len(slept) == 1
    assert slept[0] == pytest.approx(60)


@pytest.mark.parametrize(("retry_after", "pause"), [("inf", 60), ("0", 60), ("99999999", 86_400)])
async def test_extreme_retry_after_is_clamped(
    session, timed_sim, clock, retry_after, pause
) -> None:
    sim, url = timed_sim
    budget = RequestBudget(clock=clock)
    sim.faults.rate_limit_next = 1
    sim.faults.retry_after = retry_after

    with raises_clean(RateLimitedError):
        await make_client(session, url, budget=budget).get_rooms()

    assert budget.wait_time() == pytest.approx(pause)
    assert budget.export()["hold_until"] == pytest.approx(clock.now + pause)


@dataclass
class Push:
    """One push as the property's callback endpoint received it."""

    query: list[tuple[str, str]]
    content_type: str
    form: dict[str, str]

    def reservations(self) -> list[dict[str, Any]]:
        return list(json.loads(self.form["data"])["reservations"])


@dataclass
class Inbox:
    """The callback URL given to HotelRunner: records every push and answers like a PMS."""

    url: str = ""
    pushes: list[Push] = field(default_factory=list)

    async def receive(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.pushes.append(
            Push(
                list(request.query.items()),
                request.content_type,
                {key: str(value) for key, value in form.items()},
            )
        )
        return web.json_response({"status": "ok"})


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    box = Inbox()
    app = web.Application()
    app.router.add_post("/hotelrunner/callback", box.receive)
    server = await serve(app)
    box.url = str(server.make_url("/hotelrunner/callback"))
    yield box
    await server.close()


async def list_raw(session, url: str, hr_number: str) -> list[dict[str, Any]]:
    """GET /reservations as HotelRunner answers it, unparsed."""
    query = {"token": HR_TOKEN, "hr_id": HR_ID, "reservation_number": hr_number}
    async with session.get(f"{url}/reservations", params=query) as resp:
        return list((await resp.json())["reservations"])


async def test_push_posts_the_listed_reservation_as_a_form(
    session, hotelrunner_url, hotelrunner_sim, inbox
) -> None:
    hotelrunner_sim.push_url = f"{inbox.url}?property=seaside"
    hr_number = hotelrunner_sim.add_reservation(
        "Ayşe Yılmaz", [("HR:1", JUNE, JUNE + timedelta(days=3))], email="ayse@example.com"
    )

    await hotelrunner_sim.push(hr_number)

    (push,) = inbox.pushes
    # The URL's own query is kept; the property's credentials are appended to it.
    assert push.query == [("property", "seaside"), ("token", HR_TOKEN), ("hr_id", HR_ID)]
    assert push.content_type == "application/x-www-form-urlencoded"
    assert list(push.form) == ["data"]
    assert push.reservations() == await list_raw(session, hotelrunner_url, hr_number)
    assert push.reservations()[0]["guest"] == "Ayşe Yılmaz"
    assert hotelrunner_sim.push_answers == [200]
    # Pushing is HotelRunner calling out: only the listing above reached its API.
    assert hotelrunner_sim.count() == 1


async def test_push_leaves_the_message_to_confirm(
    session, hotelrunner_url, hotelrunner_sim, inbox
) -> None:
    client = make_client(session, hotelrunner_url)
    hotelrunner_sim.push_url = inbox.url
    hr_number = hotelrunner_sim.add_reservation(
        "Lea Roux", [("HR:1", JUNE, JUNE + timedelta(days=2))]
    )

    await hotelrunner_sim.push(hr_number)
    (pushed,) = inbox.pushes[0].reservations()

    assert not hotelrunner_sim.is_delivered(hr_number)
    (queued,) = await client.get_reservations(undelivered=True)
    assert queued.message_uids == (pushed["message_uid"],)
    await client.acknowledge(pushed["message_uid"])
    assert hotelrunner_sim.is_delivered(hr_number)
    assert await client.get_reservations(undelivered=True) == ()


async def test_push_without_a_url_sends_nothing(hotelrunner_sim) -> None:
    hr_number = hotelrunner_sim.add_reservation(
        "Lea Roux", [("HR:1", JUNE, JUNE + timedelta(days=2))]
    )

    await hotelrunner_sim.push(hr_number)

    assert hotelrunner_sim.push_answers == []


async def test_confirming_an_older_message_keeps_the_newer_queued(
    session, hotelrunner_url, hotelrunner_sim
) -> None:
    client = make_client(session, hotelrunner_url)
    hr_number = hotelrunner_sim.add_reservation(
        "Lea Roux", [("HR:1", JUNE, JUNE + timedelta(days=2))]
    )
    (first,) = await client.get_reservations(undelivered=True)
    # Unconfirmed, it keeps coming back.
    assert await client.get_reservations(undelivered=True) == (first,)

    hotelrunner_sim.modify_reservation(hr_number, stays=[("HR:1", JUNE, JUNE + timedelta(days=4))])
    (old_uid,) = first.message_uids
    await client.acknowledge(old_uid)

    (newer,) = await client.get_reservations(undelivered=True)
    assert newer.message_uids != first.message_uids
    assert newer.checkout == JUNE + timedelta(days=4)
    assert not hotelrunner_sim.is_delivered(hr_number)
    await client.acknowledge(newer.message_uids[0])
    assert hotelrunner_sim.is_delivered(hr_number)


async def test_without_delivery_confirmation_the_queue_never_empties(
    session, hotelrunner_url, hotelrunner_sim
) -> None:
    client = make_client(session, hotelrunner_url)
    stay = [("HR:1", JUNE, JUNE + timedelta(days=2))]
    confirmed = hotelrunner_sim.add_reservation("Lea Roux", stay)
    other = hotelrunner_sim.add_reservation("Zoe Martin", stay)
    await client.acknowledge(hotelrunner_sim.reservations[confirmed]["message_uid"])

    hotelrunner_sim.confirmations_enabled = False

    query = {"token": HR_TOKEN, "hr_id": HR_ID, "message_uid": "x"}
    async with session.put(f"{hotelrunner_url}/reservations/~", params=query) as resp:
        assert resp.status == 200
        assert await resp.json() == {
            "status": "error",
            "message": "delivery_confirmation_not_enabled",
        }
    with raises_clean(RequestRejectedError):
        await client.acknowledge(hotelrunner_sim.reservations[other]["message_uid"])
    # As if nothing had ever been confirmed, even what was while it was enabled.
    listed = await client.get_reservations(undelivered=True)
    assert {r.hr_number for r in listed} == {confirmed, other}
    assert not hotelrunner_sim.is_delivered(confirmed)
