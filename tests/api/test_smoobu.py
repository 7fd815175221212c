"""Contract tests: the Smoobu client against the simulator, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
import json
import time as time_module
import uuid

import aiohttp
import pytest

from custom_components.lockbridge.api import (
    ApiTimeoutError,
    AuthenticationError,
    CommunicationError,
    InvalidResponseError,
    ListingIncompleteError,
    NotFoundError,
    PlaceholderExistsError,
    RateLimitedError,
    RequestRejectedError,
    SmoobuClient,
    SmoobuReservation,
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


async def test_a_big_home_is_read_whole(session, smoobu_url, smoobu_sim) -> None:
    ids = add_stays(smoobu_sim, 15_000)  # 150 pages: refused outright before (cap of 50)

    found = await make_client(session, smoobu_url).get_reservations()

    assert sorted(r.id for r in found) == sorted(ids)
    assert smoobu_sim.count("/api/reservations") == 150


async def test_the_page_ceiling_cuts_a_listing_short_and_says_so(
    session, smoobu_url, smoobu_sim
) -> None:
    ids = add_stays(smoobu_sim, 201)

    with raises_clean(ListingIncompleteError) as err:
        await make_client(session, smoobu_url, max_pages=2).get_reservations()
    assert "3 pages, more than 2" in str(err.value)
    assert isinstance(err.value, InvalidResponseError)  # unaware callers fail as before
    # What was read is handed on (never passed off as the whole listing).
    assert sorted(r.id for r in err.value.read if isinstance(r, SmoobuReservation)) == sorted(
        ids[:200]
    )
    assert smoobu_sim.count("/api/reservations") == 2


async def test_the_bookings_bound_cuts_a_listing_short(session, smoobu_url, smoobu_sim) -> None:
    add_stays(smoobu_sim, 250)

    with raises_clean(ListingIncompleteError) as err:
        await make_client(session, smoobu_url, max_bookings=120).get_reservations()
    assert "more than 120 bookings" in str(err.value)
    assert len(err.value.read) == 120  # no more held, however many pages were in flight


async def test_the_read_deadline_cuts_a_listing_short(session, smoobu_url, smoobu_sim) -> None:
    add_stays(smoobu_sim, 2_000)  # 20 pages at 0.1 s each, 8 at a time: ~0.3 s in all
    smoobu_sim.faults.latency = 0.1

    with raises_clean(ListingIncompleteError) as err:
        await make_client(session, smoobu_url, read_deadline=0.05).get_reservations()
    assert "not read within" in str(err.value)
    assert 100 <= len(err.value.read) < 2_000
    assert smoobu_sim.count("/api/reservations") < 20


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


def signed_headers(
    path: str, query: str, *, nonce: str | None = None, method: str = "GET", body: bytes = b""
) -> dict[str, str]:
    timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    nonce = nonce or str(uuid.uuid4())
    return {
        "X-API-Key": SMOOBU_KEY,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": sign(SMOOBU_SECRET, SMOOBU_KEY, method, path, query, timestamp, nonce, body),
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


# --- custom placeholders and guest messages ---------------------------------------------


async def test_placeholder_round_trip(session, smoobu_url, smoobu_sim) -> None:
    first, second = add_stays(smoobu_sim, 2)
    client = make_client(session, smoobu_url)

    pin_id = await client.create_custom_placeholder("doorPin", "4711", first)
    await client.create_custom_placeholder("doorPin", "0815", second)
    await client.create_custom_placeholder("wifi", "Loft-5G", first)
    assert pin_id is not None
    listed = await client.get_custom_placeholders()
    mine = await client.get_custom_placeholders(booking_id=first, key="doorPin")
    assert len(listed) == 3
    assert [(p.id, p.key, p.value, p.type, p.foreign_id) for p in mine] == [
        (pin_id, "doorPin", "4711", 1, first)
    ]
    assert "4711" not in repr(mine[0])
    assert smoobu_sim.placeholders_of(first) == {"doorPin": "4711", "wifi": "Loft-5G"}
    values = await client.get_booking_placeholders(first)
    assert (values["doorPin"], values["guest-name"]) == ("4711", "Guest 0")

    await client.update_custom_placeholder(pin_id, "2024")
    assert smoobu_sim.placeholders_of(first)["doorPin"] == "2024"
    await client.delete_custom_placeholder(pin_id)
    assert smoobu_sim.placeholders_of(first) == {"wifi": "Loft-5G"}
    assert smoobu_sim.placeholders_of(second) == {"doorPin": "0815"}
    with raises_clean(NotFoundError):
        await client.delete_custom_placeholder(pin_id)
    with raises_clean(NotFoundError):
        await client.update_custom_placeholder(pin_id, "1")
    assert smoobu_sim.signature_failures == 0


async def test_duplicate_placeholder_is_told_apart(session, smoobu_url, smoobu_sim) -> None:
    (booking_id,) = add_stays(smoobu_sim, 1)
    client = make_client(session, smoobu_url)
    pin_id = await client.create_custom_placeholder("doorPin", "4711", booking_id)
    smoobu_sim.clear_log()

    with raises_clean(PlaceholderExistsError) as err:
        await client.create_custom_placeholder("doorPin", "9999", booking_id)

    assert isinstance(err.value, RequestRejectedError)
    assert err.value.placeholder_id == pin_id
    assert not err.value.transient
    assert smoobu_sim.placeholders_of(booking_id) == {"doorPin": "4711"}
    assert smoobu_sim.count("/api/custom-placeholders", "POST") == 1  # not sent again
    assert smoobu_sim.count("/api/custom-placeholders", "GET") == 1  # the listing that told


async def test_other_rejections_stay_plain(session, smoobu_url, smoobu_sim) -> None:
    client = make_client(session, smoobu_url)

    with raises_clean(RequestRejectedError) as err:
        await client.create_custom_placeholder("doorPin", "4711", 999)  # no such booking
    assert type(err.value) is RequestRejectedError
    assert "foreignId" in str(err.value)
    for key in ("", " doorPin", "[doorPin]", "k" * 101):
        with pytest.raises(ValueError, match="invalid placeholder key"):
            await client.create_custom_placeholder(key, "4711", 1)
    assert smoobu_sim.count("/api/custom-placeholders", "POST") == 1


async def test_message_to_guest(session, smoobu_url, smoobu_sim) -> None:
    (booking_id,) = add_stays(smoobu_sim, 1)
    smoobu_sim.receive_message(booking_id, "What is the door code?", "Arrival")
    client = make_client(session, smoobu_url)

    await client.send_message_to_guest(booking_id, "Your door code", "Hello Zoë, it is 4711.")

    sent = smoobu_sim.messages[booking_id][-1]
    assert (sent["subject"], sent["message"], sent["type"]) == (
        "Your door code",
        "Hello Zoë, it is 4711.",
        2,
    )
    thread = await client.get_messages(booking_id)
    assert [(m.type, m.subject, m.body) for m in thread] == [
        (1, "Arrival", "What is the door code?"),
        (2, "Your door code", "Hello Zoë, it is 4711."),
    ]
    assert thread[1].created_at is not None
    assert "4711" not in repr(thread[1])
    with raises_clean(NotFoundError):
        await client.send_message_to_guest(1, "Your door code", "4711")
    with raises_clean(RequestRejectedError) as err:
        await client.send_message_to_guest(booking_id, "Empty", " ")
    assert "messageBody" in str(err.value)
    assert len(smoobu_sim.messages[booking_id]) == 2


async def test_signature_covers_the_body(session, smoobu_url, smoobu_sim) -> None:
    (booking_id,) = add_stays(smoobu_sim, 1)
    path = f"/api/reservations/{booking_id}/messages/send-message-to-guest"
    signed = json.dumps({"subject": "Code", "messageBody": "It is 4711"}).encode()
    tampered = signed.replace(b"4711", b"0000")

    async def post(body: bytes, headers: dict[str, str]) -> object:
        headers = {**headers, "Content-Type": "application/json"}
        async with session.post(f"{smoobu_url}{path}", data=body, headers=headers) as resp:
            return resp.status

    assert await post(tampered, signed_headers(path, "", method="POST", body=signed)) == 401
    assert smoobu_sim.last_auth_error == "signature mismatch"
    assert booking_id not in smoobu_sim.messages
    assert await post(tampered, signed_headers(path, "", method="POST")) == 401  # empty hash
    assert await post(signed, signed_headers(path, "", method="POST", body=signed)) == 200
    assert [m["message"] for m in smoobu_sim.messages[booking_id]] == ["It is 4711"]


WRITES: dict[str, tuple[str, str]] = {
    "create": ("POST", "/api/custom-placeholders"),
    "update": ("PUT", "/api/custom-placeholders/"),
    "delete": ("DELETE", "/api/custom-placeholders/"),
    "send": ("POST", "/send-message-to-guest"),
}


async def _write(client: SmoobuClient, kind: str, booking_id: int, pin_id: int) -> None:
    if kind == "create":
        await client.create_custom_placeholder("wifi", "Loft-5G", booking_id)
    elif kind == "update":
        await client.update_custom_placeholder(pin_id, "2024")
    elif kind == "delete":
        await client.delete_custom_placeholder(pin_id)
    else:
        await client.send_message_to_guest(booking_id, "Your door code", "It is 4711")


@pytest.mark.parametrize("after_effect", [False, True])
@pytest.mark.parametrize("kind", list(WRITES))
async def test_writes_are_sent_once_on_server_error(
    session, smoobu_url, smoobu_sim, kind, after_effect
) -> None:
    (booking_id,) = add_stays(smoobu_sim, 1)
    client = make_client(session, smoobu_url)
    pin_id = await client.create_custom_placeholder("doorPin", "4711", booking_id)
    assert pin_id is not None
    smoobu_sim.clear_log()
    smoobu_sim.fail_writes = 1
    smoobu_sim.fail_writes_after_effect = after_effect

    with raises_clean(CommunicationError):
        await _write(client, kind, booking_id, pin_id)

    method, path = WRITES[kind]
    assert smoobu_sim.count(path, method) == 1
    assert len(smoobu_sim.requests) == 1  # nothing else either: no listing, no second try
    sent = len(smoobu_sim.messages.get(booking_id, []))
    placeholders = smoobu_sim.placeholders_of(booking_id)
    if not after_effect:
        assert (sent, placeholders) == (0, {"doorPin": "4711"})
    elif kind == "send":
        assert sent == 1  # the 500 came after the message went out
    else:
        assert placeholders != {"doorPin": "4711"}


async def test_a_timed_out_message_is_not_sent_again(session, smoobu_url, smoobu_sim) -> None:
    (booking_id,) = add_stays(smoobu_sim, 1)
    smoobu_sim.faults.timeout_next = 1  # the message goes out, its answer is lost
    client = make_client(session, smoobu_url, timeout=0.5)

    with raises_clean(ApiTimeoutError):
        await client.send_message_to_guest(booking_id, "Your door code", "It is 4711")

    assert smoobu_sim.count("/send-message-to-guest", "POST") == 1
    assert [m.body for m in await client.get_messages(booking_id)] == ["It is 4711"]


async def test_legacy_api_key_writes(session, smoobu_url, smoobu_sim) -> None:
    (booking_id,) = add_stays(smoobu_sim, 1)
    client = make_client(session, smoobu_url, secret=None)

    pin_id = await client.create_custom_placeholder("doorPin", "4711", booking_id)
    assert pin_id is not None
    await client.update_custom_placeholder(pin_id, "2024")
    await client.send_message_to_guest(booking_id, "Your door code", "It is 2024")

    assert smoobu_sim.placeholders_of(booking_id) == {"doorPin": "2024"}
    assert len(smoobu_sim.messages[booking_id]) == 1
    assert smoobu_sim.legacy_requests == 3


async def test_empty_write_answers_are_success(session, smoobu_url, smoobu_sim) -> None:
    (booking_id,) = add_stays(smoobu_sim, 1)
    smoobu_sim.empty_write_answers = True
    client = make_client(session, smoobu_url)

    assert await client.create_custom_placeholder("doorPin", "4711", booking_id) is None
    (created,) = await client.get_custom_placeholders(booking_id=booking_id)  # found by listing
    await client.update_custom_placeholder(created.id, "2024")
    await client.send_message_to_guest(booking_id, "Your door code", "It is 2024")

    assert smoobu_sim.placeholders_of(booking_id) == {"doorPin": "2024"}
    assert len(smoobu_sim.messages[booking_id]) == 1


@pytest.mark.parametrize(
    ("status", "text", "created"),
    [
        (200, '{"id": 12, "key": "doorPin"}', 12),
        (200, '{"customPlaceholder": {"id": "12"}}', 12),
        (201, '{"data": {"id": 12}}', 12),
        (200, '{"success": true}', None),
        (200, "", None),
        (200, "OK", None),
        (204, "", None),
    ],
)
async def test_create_answers_read_defensively(
    session, stub, stub_url, status, text, created
) -> None:
    stub.reply("/api/custom-placeholders", status=status, text=text)

    client = make_client(session, stub_url)

    assert await client.create_custom_placeholder("doorPin", "4711", 5) == created
    assert stub.hits == ["/api/custom-placeholders"]


async def test_placeholder_listings_read_defensively(session, stub, stub_url) -> None:
    stub.reply(
        "/api/custom-placeholders",
        {
            "customPlaceholders": [
                {
                    "id": 1,
                    "key": "doorPin",
                    "defaultValue": 4711,
                    "type": "booking",
                    "foreignId": 5,
                },
                {"id": 2, "key": "[wifi]", "defaultValue": "x" * 5000, "type": 2, "foreignId": "7"},
                {"id": 3, "key": "odd", "defaultValue": None, "type": "global"},
                {"key": "no id"},
                {"id": 4},
                {"id": 5, "key": "k" * 101},
                "junk",
            ]
        },
    )
    stub.reply(
        "/api/reservations/5/placeholders",
        [{"key": "[doorPin]", "value": "4711"}, {"key": "", "value": "x"}, {"value": "y"}, 3],
    )
    stub.reply("/api/reservations/6/placeholders", {"placeholders": {"doorPin": "0815"}})
    stub.reply("/api/reservations/7/placeholders", {"placeholders": "none"})
    client = make_client(session, stub_url)

    found = await client.get_custom_placeholders()

    assert [(p.id, p.key, p.value[:4], p.type, p.foreign_id) for p in found] == [
        (1, "doorPin", "4711", 1, 5),
        (2, "wifi", "xxxx", 2, 7),
        (3, "odd", "", 0, None),
    ]
    assert len(found[1].value) == 2000
    assert [p.id for p in await client.get_custom_placeholders(booking_id=5)] == [1]
    assert await client.get_booking_placeholders(5) == {"doorPin": "4711"}
    assert await client.get_booking_placeholders(6) == {"doorPin": "0815"}
    with raises_clean(InvalidResponseError):
        await client.get_booking_placeholders(7)
    stub.reply("/api/custom-placeholders", {"placeholders": []})
    with raises_clean(InvalidResponseError):
        await client.get_custom_placeholders()


async def test_a_rejection_echoing_the_value_is_scrubbed(session, stub, stub_url) -> None:
    stub.reply(
        "/api/custom-placeholders/5",
        status=422,
        text=f"Value 7Q4-118 refused for key {SMOOBU_KEY}",
    )

    with raises_clean(RequestRejectedError) as err:
        await make_client(session, stub_url).update_custom_placeholder(5, "7Q4-118")
    assert "Value *** refused for key ***" in str(err.value)


async def test_message_pages_are_all_read(session, stub, stub_url) -> None:
    message = {"id": 1, "subject": "Hi", "messageBody": "Hello", "type": 1, "createdAt": "x"}
    stub.reply("/api/reservations/5/messages", {"page_count": 3, "messages": [message, "junk"]})
    client = make_client(session, stub_url)

    thread = await client.get_messages(5)

    assert [(m.id, m.body, m.created_at) for m in thread] == [(1, "Hello", None)] * 3
    assert len(stub.hits) == 3
    with raises_clean(InvalidResponseError):
        await make_client(session, stub_url, max_pages=2).get_messages(5)
    stub.reply("/api/reservations/5/messages", {"bookings": []})
    with raises_clean(InvalidResponseError):
        await client.get_messages(5)
