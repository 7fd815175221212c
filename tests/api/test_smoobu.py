"""Contract tests: the Smoobu client against the simulator, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
import time as time_module
import uuid

import aiohttp
import pytest

from custom_components.lockbridge.api import (
    ApiTimeoutError,
    AuthenticationError,
    CommunicationError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    SmoobuClient,
)
from custom_components.lockbridge.api.smoobu import canonical_query, sign
from tests.conftest import SMOOBU_KEY, SMOOBU_SECRET, raises_clean
from tests.fakes import SmoobuSimulator

JUNE = date(2026, 6, 12)


def make_client(
    session: aiohttp.ClientSession,
    url: str,
    *,
    key: str = SMOOBU_KEY,
    secret: str | None = SMOOBU_SECRET,
    **kwargs: object,
) -> SmoobuClient:
    return SmoobuClient(session, key, secret, base_url=url, **kwargs)  # type: ignore[arg-type]


def add_stays(sim: SmoobuSimulator, count: int, start: date = JUNE) -> list[int]:
    return [
        sim.add_booking(
            101 + i % 2, start + timedelta(days=i), start + timedelta(days=i + 2), f"Guest {i}"
        )
        for i in range(count)
    ]


async def test_me_and_apartments(session, smoobu_url, smoobu_sim) -> None:
    client = make_client(session, smoobu_url)

    me = await client.get_me()
    apartments = await client.get_apartments()

    assert (me.id, me.name) == (7, "Jane Host")
    assert [(a.id, a.name) for a in apartments] == [(101, "Seaside Loft"), (102, "Garden Studio")]
    assert client.signed
    assert smoobu_sim.signature_failures == 0
    assert smoobu_sim.legacy_requests == 0


async def test_reservation_fields(session, smoobu_url, smoobu_sim) -> None:
    booking_id = smoobu_sim.add_booking(
        101,
        JUNE,
        JUNE + timedelta(days=3),
        "Zoë Müller",
        check_in="16:00",
        check_out="10:00",
        email="zoe@example.com",
        phone="+49 151 2345678",
        language="de",
        adults=2,
        children=1,
    )
    smoobu_sim.add_booking(102, JUNE, JUNE + timedelta(days=1), "", blocked=True)

    found = await make_client(session, smoobu_url).get_reservations()

    by_id = {r.id: r for r in found}
    stay = by_id[booking_id]
    assert (stay.apartment_id, stay.apartment_name, stay.arrival, stay.departure) == (
        101,
        "Seaside Loft",
        JUNE,
        JUNE + timedelta(days=3),
    )
    assert (stay.check_in, stay.check_out) == (time(16, 0), time(10, 0))
    assert (stay.guest_name, stay.firstname, stay.lastname) == ("Zoë Müller", "Zoë", "Müller")
    assert (stay.email, stay.phone, stay.language) == ("zoe@example.com", "+49 151 2345678", "de")
    assert (stay.adults, stay.children, stay.type, stay.is_blocked) == (2, 1, "reservation", False)
    assert stay.channel_name == "Booking.com"
    assert stay.created_at is not None
    assert stay.modified_at is not None
    assert "zoe@example.com" not in repr(stay)
    assert "2345678" not in repr(stay)
    (blocked,) = [r for r in found if r.id != booking_id]
    assert blocked.is_blocked


async def test_cancellations_are_listed_and_marked(session, smoobu_url, smoobu_sim) -> None:
    kept, cancelled = add_stays(smoobu_sim, 2)
    smoobu_sim.cancel_booking(cancelled)
    client = make_client(session, smoobu_url)

    listed = {r.id: r for r in await client.get_reservations()}
    hidden = await client.get_reservations(show_cancellation=False, exclude_blocked=True)

    assert listed[cancelled].is_cancelled
    assert not listed[kept].is_cancelled
    assert [r.id for r in hidden] == [kept]


async def test_every_page_is_read(session, smoobu_url, smoobu_sim) -> None:
    ids = add_stays(smoobu_sim, 230)

    found = await make_client(session, smoobu_url).get_reservations()

    assert sorted(r.id for r in found) == sorted(ids)
    pages = [r for r in smoobu_sim.requests if r.path == "/api/reservations"]
    assert [(r.query["page"], r.query["pageSize"]) for r in pages] == [
        ("1", "100"),
        ("2", "100"),
        ("3", "100"),
    ]


async def test_pages_after_the_first_are_read_at_once(session, smoobu_url, smoobu_sim) -> None:
    """Page 1 gives the count; pages 2..N are all asked for before any of them answers."""
    ids = add_stays(smoobu_sim, 430)
    smoobu_sim.faults.gate_path = "/api/reservations"
    smoobu_sim.faults.gate = first = asyncio.Event()
    reading = asyncio.create_task(make_client(session, smoobu_url).get_reservations())

    async def until(count: int) -> None:
        for _ in range(500):
            if len(smoobu_sim.requests) >= count:
                return
            await asyncio.sleep(0.01)

    await until(1)
    smoobu_sim.faults.gate = rest = asyncio.Event()  # page 1 passes, the others wait
    first.set()
    await until(5)
    assert sorted(r.query["page"] for r in smoobu_sim.requests) == ["1", "2", "3", "4", "5"]
    rest.set()

    assert sorted(r.id for r in await reading) == sorted(ids)


async def test_shifting_pages_give_one_entry_per_booking(session, smoobu_url, smoobu_sim) -> None:
    smoobu_sim.repeat_last_on_next_page = True
    ids = add_stays(smoobu_sim, 201)

    found = await make_client(session, smoobu_url).get_reservations()

    assert len(found) == len(ids) == len({r.id for r in found})


async def test_page_cap_refuses_a_partial_listing(session, smoobu_url, smoobu_sim) -> None:
    add_stays(smoobu_sim, 201)

    with raises_clean(InvalidResponseError) as err:
        await make_client(session, smoobu_url, max_pages=2).get_reservations()
    assert "3 pages, more than 2" in str(err.value)
    assert smoobu_sim.count("/api/reservations") == 1  # refused before spending more


async def test_filters_reach_the_cloud(session, smoobu_url, smoobu_sim) -> None:
    ids = add_stays(smoobu_sim, 6)
    client = make_client(session, smoobu_url)

    arriving = await client.get_reservations(
        arrival_from=JUNE + timedelta(days=2), arrival_to=JUNE + timedelta(days=3)
    )
    in_loft = await client.get_reservations(apartment_id=101, include_related=False)
    overlapping = await client.get_reservations(from_date=JUNE, to_date=JUNE)
    departing = await client.get_reservations(
        departure_from=JUNE + timedelta(days=7), departure_to=JUNE + timedelta(days=9)
    )
    today = datetime.now(UTC).date()
    recent = await client.get_reservations(
        created_from=today - timedelta(days=1),
        created_to=today + timedelta(days=1),
        modified_from=today - timedelta(days=1),
        modified_to=today + timedelta(days=1),
    )

    assert sorted(r.id for r in arriving) == ids[2:4]
    assert sorted(r.id for r in in_loft) == ids[0::2]
    assert sorted(r.id for r in overlapping) == ids[0:1]
    assert sorted(r.id for r in departing) == ids[5:6]
    assert sorted(r.id for r in recent) == ids
    query = smoobu_sim.requests[-1].query
    assert query["created_from"] == (today - timedelta(days=1)).isoformat()
    assert smoobu_sim.signature_failures == 0


async def test_one_booking_and_unknown_one(session, smoobu_url, smoobu_sim) -> None:
    (booking_id,) = add_stays(smoobu_sim, 1)
    client = make_client(session, smoobu_url)

    assert (await client.get_reservation(booking_id)).guest_name == "Guest 0"
    with raises_clean(NotFoundError):
        await client.get_reservation(1)


async def test_legacy_api_key_header(session, smoobu_url, smoobu_sim) -> None:
    client = make_client(session, smoobu_url, secret=None)

    assert (await client.get_me()).id == 7
    assert not client.signed
    assert smoobu_sim.legacy_requests == 1


@pytest.mark.parametrize(
    ("key", "secret"),
    [(SMOOBU_KEY, "not-the-secret"), ("not-the-key", SMOOBU_SECRET), ("not-the-key", None)],
)
async def test_refused_credentials(session, smoobu_url, key, secret) -> None:
    with raises_clean(AuthenticationError) as err:
        await make_client(session, smoobu_url, key=key, secret=secret).get_me()
    assert "verification error" in str(err.value)
    assert not err.value.transient


async def test_clock_skew_is_rejected(session, smoobu_url, smoobu_sim) -> None:
    client = make_client(session, smoobu_url, clock=lambda: time_module.time() + 900)

    with raises_clean(AuthenticationError):
        await client.get_me()
    assert smoobu_sim.signature_failures == 1


def signed_headers(path: str, query: str, *, nonce: str | None = None) -> dict[str, str]:
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    nonce = nonce or str(uuid.uuid4())
    return {
        "X-API-Key": SMOOBU_KEY,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": sign(SMOOBU_SECRET, SMOOBU_KEY, "GET", path, query, timestamp, nonce),
    }


async def test_simulator_verifies_signature_and_rejects_tampering(
    session, smoobu_url, smoobu_sim
) -> None:
    add_stays(smoobu_sim, 3)
    query = canonical_query({"apartmentId": "101", "pageSize": "100", "from": "2026-06-12"})
    assert query == "apartmentId=101&from=2026-06-12&pageSize=100"
    url = f"{smoobu_url}/api/reservations?{query}"

    headers = signed_headers("/api/reservations", query)
    async with session.get(url, headers=headers) as resp:
        assert resp.status == 200
        assert len((await resp.json())["bookings"]) == 2

    async with session.get(url, headers=headers) as resp:  # same nonce again: a replay
        assert resp.status == 401

    tampered = signed_headers("/api/reservations", query)
    async with session.get(
        url.replace("apartmentId=101", "apartmentId=102"), headers=tampered
    ) as resp:
        assert resp.status == 401
        assert (await resp.json())["detail"] == "verification error"

    assert smoobu_sim.signature_failures == 2


def test_canonical_query_encodes_per_rfc3986() -> None:
    assert canonical_query({"b": "x y", "a": "é/+", "apartments[]": "1"}) == (
        "a=%C3%A9%2F%2B&apartments%5B%5D=1&b=x%20y"
    )
    assert canonical_query({}) == ""


@pytest.mark.parametrize("epoch", [False, True])
async def test_rate_limit_honours_retry_after(session, smoobu_url, smoobu_sim, epoch) -> None:
    smoobu_sim.faults.rate_limit_next = 1
    smoobu_sim.faults.retry_after = "7"
    smoobu_sim.retry_after_epoch = epoch

    with raises_clean(RateLimitedError) as err:
        await make_client(session, smoobu_url).get_apartments()

    assert err.value.retry_after is not None
    assert 5 <= err.value.retry_after <= 8


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("fail_next", CommunicationError),
        ("malformed_next", InvalidResponseError),
        ("timeout_next", ApiTimeoutError),
    ],
)
async def test_faults_map_to_typed_errors(session, smoobu_url, smoobu_sim, fault, error) -> None:
    setattr(smoobu_sim.faults, fault, 1)
    client = make_client(session, smoobu_url, timeout=0.5)

    with raises_clean(error):
        await client.get_reservations()
    assert await client.get_reservations() == ()


# --- answers no simulator gives, from a canned-reply server ------------------------------


async def test_validation_error_details(session, stub, stub_url) -> None:
    stub.reply(
        "/api/reservations",
        {
            "title": "Unprocessable Entity",
            "status": 422,
            "detail": "Failed Validation",
            "validation_messages": {"arrivalDate": {"isEmpty": "Value is required"}, "x": "bad"},
        },
        status=422,
    )

    with raises_clean(RequestRejectedError) as err:
        await make_client(session, stub_url).get_reservations()
    assert "Failed Validation; arrivalDate: Value is required; x: bad" in str(err.value)


async def test_error_echoing_the_key_is_scrubbed(session, stub, stub_url) -> None:
    stub.reply("/api/me", status=403, text=f"Key {SMOOBU_KEY} is not allowed")

    with raises_clean(AuthenticationError) as err:
        await make_client(session, stub_url).get_me()
    assert "Key *** is not allowed" in str(err.value)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/reservations", {"page_count": 1}),
        ("/api/apartments", {"apartments": {}}),
        ("/api/me", {"firstName": "no id"}),
        ("/api/reservations/5", {"no": "id"}),
    ],
)
async def test_unexpected_shapes(session, stub, stub_url, path, body) -> None:
    stub.reply(path, body)
    client = make_client(session, stub_url)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "/api/reservations": client.get_reservations,
        "/api/apartments": client.get_apartments,
        "/api/me": client.get_me,
        "/api/reservations/5": lambda: client.get_reservation(5),
    }

    with raises_clean(InvalidResponseError):
        await calls[path]()


async def test_unreadable_records_are_skipped_not_fatal(session, stub, stub_url, caplog) -> None:
    stub.reply(
        "/api/reservations",
        {
            "page_count": 1,
            "bookings": [
                {"id": "x"},
                "junk",
                {"id": 9, "arrival": "not a date", "check-in": "25:99", "apartment": None},
                {"id": 10, "modified-at": "2026-05-03 09:12:44", "is-blocked-booking": "true"},
            ],
        },
    )
    stub.reply("/api/apartments", {"apartments": [{"id": 1}, {"name": "no id"}]})
    client = make_client(session, stub_url)

    found = await client.get_reservations()
    apartments = await client.get_apartments()

    assert [(r.id, r.arrival, r.check_in, r.apartment_id) for r in found] == [
        (9, None, None, None),
        (10, None, None, None),
    ]
    assert found[1].modified_at == datetime(2026, 5, 3, 9, 12, 44)
    assert found[1].is_blocked
    assert "skipped 2 unreadable booking records" in caplog.text
    assert [(a.id, a.name) for a in apartments] == [(1, "1")]


async def test_duplicate_keeps_the_latest_modification(session, stub, stub_url) -> None:
    older = {"id": 5, "guest-name": "Old", "modifiedAt": "2026-05-01 10:00:00"}
    newer = {"id": 5, "guest-name": "New", "modifiedAt": "2026-05-02 10:00:00"}
    stub.reply(
        "/api/reservations", {"page_count": 1, "bookings": [newer, older, {"id": 6}, {"id": 6}]}
    )

    found = await make_client(session, stub_url).get_reservations()

    assert [(r.id, r.guest_name) for r in found] == [(5, "New"), (6, "")]


async def test_full_page_without_a_count_is_refused(session, stub, stub_url) -> None:
    stub.reply("/api/reservations", {"bookings": [{"id": i} for i in range(100)]})

    with raises_clean(InvalidResponseError):
        await make_client(session, stub_url).get_reservations()


async def test_partial_page_without_a_count_is_complete(session, stub, stub_url) -> None:
    stub.reply("/api/reservations", {"bookings": [{"id": 1}, {"id": 2}]})

    assert len(await make_client(session, stub_url).get_reservations()) == 2


async def test_mixed_naive_and_aware_times_do_not_crash(session, stub, stub_url) -> None:
    first = {"id": 5, "guest-name": "A", "modifiedAt": "2026-05-01 10:00:00"}
    second = {"id": 5, "guest-name": "B", "modifiedAt": "2026-05-02T10:00:00+02:00"}
    stub.reply("/api/reservations", {"page_count": 1, "bookings": [first, second]})

    (found,) = await make_client(session, stub_url).get_reservations()

    assert found.guest_name == "B"  # not comparable: the later read wins


async def test_query_on_the_wire_must_be_the_signed_one(session, smoobu_url, smoobu_sim) -> None:
    query = canonical_query({"pageSize": "100", "apartmentId": "101"})
    url = f"{smoobu_url}/api/reservations?pageSize=100&apartmentId=101"  # same pairs, other order

    async with session.get(url, headers=signed_headers("/api/reservations", query)) as resp:
        assert resp.status == 401
