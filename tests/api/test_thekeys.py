"""Contract tests: the The Keys client against the simulator, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import date, time

import aiohttp
import pytest

from custom_components.lockbridge.api import (
    ApiTimeoutError,
    AuthenticationError,
    CodeFields,
    CommunicationError,
    InvalidResponseError,
    LockState,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    TheKeysClient,
)
from custom_components.lockbridge.api.thekeys import TOKEN_ROUNDS
from tests.conftest import TK_PASSWORD, TK_USERNAME, StubCloud, exception_text, raises_clean

KEYPAD = "KpXy34Zt"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_client(
    session: aiohttp.ClientSession, url: str, *, password: str = TK_PASSWORD, **kwargs: object
) -> TheKeysClient:
    return TheKeysClient(session, TK_USERNAME, password, base_url=url, **kwargs)  # type: ignore[arg-type]


def stay(**changes: object) -> CodeFields:
    fields = CodeFields(
        name="smoobu Maria Keller",
        pin="4821",
        start_date=date(2026, 6, 12),
        end_date=date(2026, 6, 15),
        start_time=time(15, 0),
        end_time=time(12, 0),
        description="lockbridge:smoobu:58123401",
    )
    return replace(fields, **changes)  # type: ignore[arg-type]


async def test_account_lists_locks_keypads_and_time_zones(session, thekeys_url) -> None:
    client = make_client(session, thekeys_url)
    account = await client.get_account()

    assert account.user_id == 42
    assert account.username == client.username == TK_USERNAME
    locks = {lock.id: lock for lock in account.locks}
    assert set(locks) == {3001, 3002}
    loft, studio = locks[3001], locks[3002]
    assert [(k.id, k.name) for k in loft.keypads] == [(KEYPAD, "Front door keypad")]
    assert loft.keypads[0].accessory_id is not None
    assert (loft.timezone, loft.state, loft.battery_raw, loft.has_gateway) == (
        "Europe/Paris",
        LockState.LOCKED,
        7235,
        True,
    )
    assert [k.id for k in studio.keypads] == ["KpAa11Bb", "KpCc22Dd"]
    assert (studio.timezone, studio.state, studio.battery_raw, studio.has_gateway) == (
        "Europe/Lisbon",
        LockState.UNLOCKED,
        6300,
        False,
    )


async def test_get_lock_reads_fresh_state(session, thekeys_url, thekeys_sim) -> None:
    client = make_client(session, thekeys_url)
    thekeys_sim.set_lock_state(3001, "open")
    thekeys_sim.set_battery(3001, 6900)

    lock = await client.get_lock(3001)

    assert (lock.name, lock.state, lock.battery_raw) == ("Seaside Loft", LockState.UNLOCKED, 6900)


async def test_codes_exclude_gateway_shares_and_filter_by_keypad(
    session, thekeys_url, thekeys_sim
) -> None:
    client = make_client(session, thekeys_url)
    thekeys_sim.add_code(3001, KEYPAD, "Cleaner", "7391", date(2026, 1, 1), date(2027, 1, 1))
    gate = thekeys_sim.add_code(
        3002, "KpAa11Bb", "Gate", "2468", date(2026, 6, 1), date(2026, 6, 2)
    )
    door = thekeys_sim.add_code(
        3002, "KpCc22Dd", "Door", "1357", date(2026, 6, 1), date(2026, 6, 2)
    )

    loft_codes = await client.list_codes(3001)
    assert [(c.name, c.pin, c.keypad_id) for c in loft_codes] == [("Cleaner", "7391", KEYPAD)]
    assert {c.id for c in await client.list_codes(3002)} == {gate, door}
    assert [c.id for c in await client.list_codes(3002, "KpCc22Dd")] == [door]
    assert await client.list_codes(3002, "unknown") == ()


async def test_an_unchanged_listing_is_not_parsed_again(session, thekeys_url, thekeys_sim) -> None:
    """Steady cycles get the same answers: the same result comes back, parsed once."""
    client = make_client(session, thekeys_url)
    thekeys_sim.add_code(3001, KEYPAD, "Cleaner", "7391", date(2026, 1, 1), date(2027, 1, 1))
    first, account = await client.list_codes(3001), await client.get_account()

    assert await client.list_codes(3001) is first
    assert await client.get_account() is account
    thekeys_sim.add_code(3001, KEYPAD, "Plumber", "8264", date(2026, 1, 1), date(2026, 2, 1))
    changed = await client.list_codes(3001)
    assert [c.name for c in changed] == ["Cleaner", "Plumber"]  # a new answer is read anew
    thekeys_sim.faults.fail_next, thekeys_sim.faults.fail_path = 1, "/partage/all/"
    with raises_clean(CommunicationError):
        await client.list_codes(3001)  # a failure is never answered from memory
    assert await client.list_codes(3001) is changed


class Offloader:
    """Runs jobs in a thread, as Home Assistant's executor does, and counts them."""

    def __init__(self) -> None:
        self.jobs = 0

    async def __call__[T](self, job: Callable[[], T], /) -> T:
        self.jobs += 1
        return await asyncio.to_thread(job)


async def test_a_large_answer_is_parsed_off_the_loop(
    session, thekeys_url, thekeys_sim, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The simulator's keypads report "last seen" to the second: 300 locks take long enough to
    # answer that two reads may straddle a second, and a changed answer is rightly parsed again.
    monkeypatch.setattr(
        type(thekeys_sim), "_last_seen", staticmethod(lambda _: "2026-12-02T10:00:00")
    )
    offload = Offloader()
    client = make_client(session, thekeys_url, offload=offload)
    small = await client.get_account()
    assert offload.jobs == 0  # two locks: parsed inline, a thread hop would cost more
    assert len(await client.list_codes(3001)) == 0
    assert offload.jobs == 0
    for lock_id in range(4000, 4300):
        thekeys_sim.add_lock(lock_id, f"Flat {lock_id}", keypads=[(f"Kp{lock_id}", "Keypad")])

    account = await client.get_account()

    assert offload.jobs == 1
    assert len(account.locks) == len(small.locks) + 300
    assert account == await make_client(session, thekeys_url).get_account()  # same result
    assert await client.get_account() is account  # unchanged: not parsed again, nor offloaded
    assert offload.jobs == 1
    # A large broken answer fails in the thread as it would inline, and is not remembered.
    thekeys_sim.faults.malformed_next = 1
    thekeys_sim.faults.malformed_body = '{"status": 200, "data": {"serrures": [' + "{}," * 30_000
    with raises_clean(InvalidResponseError):
        await client.get_account()
    assert offload.jobs == 2
    assert await client.get_account() is account


@pytest.mark.parametrize("heure_format", ["HH:MM", "HH:MM:SS", "iso", "object", "null"])
async def test_codes_parse_every_time_format(
    session, thekeys_url, thekeys_sim, heure_format
) -> None:
    thekeys_sim.heure_format = heure_format
    code_id = thekeys_sim.add_code(
        3001, KEYPAD, "John Doe", "5820", date(2026, 5, 1), date(2026, 5, 3), end_time=(11, 30)
    )

    (code,) = await make_client(session, thekeys_url).list_codes(3001, KEYPAD)

    expected = (None, None) if heure_format == "null" else (time(15, 0), time(11, 30))
    assert code.id == code_id
    assert (code.start_date, code.end_date) == (date(2026, 5, 1), date(2026, 5, 3))
    assert (code.start_time, code.end_time) == expected
    assert code.active is True


async def test_envelope_status_may_be_a_string(session, thekeys_url, thekeys_sim) -> None:
    thekeys_sim.status_as_string = True

    account = await make_client(session, thekeys_url).get_account()

    assert len(account.locks) == 2


async def test_create_update_delete_round_trip(session, thekeys_url, thekeys_sim) -> None:
    client = make_client(session, thekeys_url)

    created = await client.create_code(3001, KEYPAD, stay())
    (stored,) = thekeys_sim.codes(3001, KEYPAD)
    assert (created.id, created.pin, created.lock_id, created.keypad_id) == (
        stored.id,
        "4821",
        3001,
        KEYPAD,
    )
    assert (stored.name, stored.start, stored.end) == (
        "smoobu Maria Keller",
        date(2026, 6, 12),
        date(2026, 6, 15),
    )
    assert (stored.start_time, stored.end_time, stored.active) == ((15, 0), (12, 0), True)

    moved = replace(created, end_date=date(2026, 6, 16), end_time=time(10, 0))
    await client.update_code(moved)
    (stored,) = thekeys_sim.codes(3001, KEYPAD)
    assert (stored.code, stored.end, stored.end_time) == ("4821", date(2026, 6, 16), (10, 0))
    assert stored.description == "lockbridge:smoobu:58123401"
    assert stored.active is True
    assert await client.list_codes(3001, KEYPAD) == (moved,)

    await client.delete_code(created.id)
    assert thekeys_sim.codes(3001) == []


async def test_update_resubmits_every_field(session, thekeys_url, thekeys_sim) -> None:
    """The cloud clears omitted fields, so switches off must be sent as absent, on as 1."""
    client = make_client(session, thekeys_url)
    created = await client.create_code(3001, KEYPAD, stay(notify=True))
    assert thekeys_sim.codes(3001)[0].notify is True

    await client.update_code(replace(created, active=False, notify=False, name="renamed"))

    (stored,) = thekeys_sim.codes(3001)
    assert (stored.name, stored.active, stored.notify, stored.code) == (
        "renamed",
        False,
        False,
        "4821",
    )
    assert stored.description == "lockbridge:smoobu:58123401"


async def test_create_reports_validation_errors(session, thekeys_url, thekeys_sim) -> None:
    client = make_client(session, thekeys_url)
    thekeys_sim.add_code(3001, KEYPAD, "Cleaner", "4821", date(2026, 1, 1), date(2027, 1, 1))

    with raises_clean(RequestRejectedError) as taken:
        await client.create_code(3001, KEYPAD, stay())
    assert "code" in taken.value.fields
    assert "already used" in str(taken.value)
    assert not taken.value.transient

    with raises_clean(RequestRejectedError) as backwards:
        await client.create_code(3001, KEYPAD, stay(pin="9153", end_date=date(2026, 6, 1)))
    assert backwards.value.fields


async def test_unknown_lock_and_code_are_not_found(session, thekeys_url) -> None:
    client = make_client(session, thekeys_url)

    with raises_clean(NotFoundError):
        await client.list_codes(9999)
    with raises_clean(NotFoundError):
        await client.delete_code(123)
    with raises_clean(NotFoundError):
        await client.create_code(3001, "NoSuchKp", stay())


async def test_remote_open_and_close(session, thekeys_url, thekeys_sim) -> None:
    client = make_client(session, thekeys_url)

    await client.open_lock(3001)
    assert (await client.get_lock(3001)).state is LockState.UNLOCKED
    await client.close_lock(3001)
    assert (await client.get_lock(3001)).state is LockState.LOCKED

    with raises_clean(RequestRejectedError) as err:
        await client.open_lock(3002)  # no gateway
    assert "gateway" in str(err.value).lower()


async def test_token_reused_then_renewed_once_before_expiry(
    session, thekeys_url, thekeys_sim
) -> None:
    clock = FakeClock()
    client = make_client(session, thekeys_url, clock=clock)

    await client.get_account()
    await client.list_codes(3001)
    await client.list_codes(3002)
    assert thekeys_sim.logins == 1

    clock.now += 3600 - 61  # still inside the 60 s safety margin
    await client.list_codes(3001)
    assert thekeys_sim.logins == 1

    clock.now += 2  # within 60 s of expiry: renew before the cloud refuses the token
    await client.list_codes(3001)
    await client.list_codes(3002)
    assert thekeys_sim.logins == 2
    assert thekeys_sim.count("/api/login_check") == 2
    assert client.login_count == 2


async def test_refused_token_triggers_one_login_and_one_retry(
    session, thekeys_url, thekeys_sim
) -> None:
    client = make_client(session, thekeys_url)
    await client.get_account()
    thekeys_sim.expire_tokens()  # the cloud drops it early: answers 401 invalid_grant
    thekeys_sim.clear_log()

    codes = await client.list_codes(3001)

    assert codes == ()
    assert thekeys_sim.logins == 2
    assert [r.path for r in thekeys_sim.requests] == [
        "/fr/api/v2/partage/all/serrure/3001",
        "/api/login_check",
        "/fr/api/v2/partage/all/serrure/3001",
    ]


async def test_concurrent_callers_share_one_login(session, thekeys_url, thekeys_sim) -> None:
    client = make_client(session, thekeys_url)
    await client.get_account()
    thekeys_sim.expire_tokens()

    results = await asyncio.gather(*(client.list_codes(lock) for lock in (3001, 3002) * 4))

    assert len(results) == 8
    assert thekeys_sim.logins == 2


async def test_first_calls_in_parallel_log_in_once(session, thekeys_url, thekeys_sim) -> None:
    client = make_client(session, thekeys_url)

    await asyncio.gather(client.list_codes(3001), client.list_codes(3002), client.get_account())

    assert thekeys_sim.logins == 1


async def test_bad_password(session, thekeys_url) -> None:
    client = make_client(session, thekeys_url, password="wrong-password")

    with raises_clean(AuthenticationError) as err:
        await client.login()
    assert "Bad credentials" in str(err.value)
    assert "wrong-password" not in str(err.value)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("fail_next", CommunicationError),
        ("malformed_next", InvalidResponseError),
        ("rate_limit_next", RateLimitedError),
        ("timeout_next", ApiTimeoutError),
    ],
)
async def test_faults_map_to_typed_errors(session, thekeys_url, thekeys_sim, fault, error) -> None:
    client = make_client(session, thekeys_url, timeout=0.5)
    await client.login()
    setattr(thekeys_sim.faults, fault, 1)

    with raises_clean(error) as err:
        await client.list_codes(3001)

    assert err.value.transient
    if error is RateLimitedError:
        assert isinstance(err.value, RateLimitedError)
        assert err.value.retry_after == 2
    assert await client.list_codes(3001) == ()  # the next call works again


async def test_login_faults(session, thekeys_url, thekeys_sim) -> None:
    client = make_client(session, thekeys_url)
    thekeys_sim.faults.fail_next = 1
    with raises_clean(CommunicationError):
        await client.login()
    thekeys_sim.faults.rate_limit_next = 1
    with raises_clean(RateLimitedError):
        await client.login()
    await client.login()


async def test_connection_refused_is_a_communication_error(session, unused_tcp_port) -> None:
    client = make_client(session, f"http://127.0.0.1:{unused_tcp_port}")

    with raises_clean(CommunicationError):
        await client.get_account()


@pytest.mark.parametrize("field", ["access_token", "token"])
async def test_login_accepts_either_token_field(session, thekeys_url, thekeys_sim, field) -> None:
    thekeys_sim.token_field = field

    account = await make_client(session, thekeys_url).get_account()

    assert account.user_id == 42


# --- answers no simulator gives, from a canned-reply server ------------------------------

LOGIN_OK = {"access_token": "AT-canned-1", "expires_in": "3600"}
ACCOUNT = f"/fr/api/v2/utilisateur/get/{TK_USERNAME}"


def canned_login(stub: StubCloud) -> None:
    stub.reply("/api/login_check", LOGIN_OK)


async def test_login_answer_without_token(session, stub, stub_url) -> None:
    stub.reply("/api/login_check", {"expires_in": 3600})

    with raises_clean(AuthenticationError):
        await make_client(session, stub_url).login()


async def test_login_error_that_is_not_json(session, stub, stub_url) -> None:
    stub.reply("/api/login_check", status=401, text="Unauthorized")

    with raises_clean(AuthenticationError) as err:
        await make_client(session, stub_url).login()
    assert "Unauthorized" in str(err.value)


async def test_token_refused_even_after_new_logins(session, stub, stub_url) -> None:
    canned_login(stub)
    stub.reply(ACCOUNT, {"error": "invalid_grant"}, status=400)
    client = make_client(session, stub_url)

    with raises_clean(AuthenticationError):
        await client.get_account()
    assert stub.hits.count("/api/login_check") == 1 + TOKEN_ROUNDS
    # Further calls share that outcome for a while rather than log in again and again.
    with raises_clean(AuthenticationError):
        await client.get_account()
    assert stub.hits.count("/api/login_check") == 1 + TOKEN_ROUNDS


async def test_null_data_is_not_found(session, stub, stub_url) -> None:
    canned_login(stub)
    stub.reply(ACCOUNT, {"status": 200, "data": None, "message": {"global": [], "form": []}})

    with raises_clean(NotFoundError):
        await make_client(session, stub_url).get_account()


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        {"data": {"serrures": []}},  # no status
        {"status": 200, "data": []},  # listing is not an object
        {"status": 200, "data": {"partages_accessoire": None}},
    ],
)
async def test_unreadable_code_listing_is_never_empty(session, stub, stub_url, body) -> None:
    canned_login(stub)
    stub.reply("/fr/api/v2/partage/all/serrure/3001", body)

    with raises_clean(InvalidResponseError):
        await make_client(session, stub_url).list_codes(3001)


async def test_broken_entries_are_skipped(session, stub, stub_url) -> None:
    canned_login(stub)
    keypad = {"id_accessoire": KEYPAD, "type": 2}
    stub.reply(
        "/fr/api/v2/partage/all/serrure/3001",
        {
            "status": 200,
            "data": {
                "partages_accessoire": [
                    "garbage",
                    {"id": None, "accessoire": keypad},
                    {"id": 5, "accessoire": {}},
                    {"id": 6, "accessoire": {"id_accessoire": "Rm0t3", "type": 3}, "code": "x"},
                    {"id": "7", "nom": "Ok", "code": 1234, "actif": "1", "accessoire": keypad},
                ]
            },
        },
    )

    (code,) = await make_client(session, stub_url).list_codes(3001)

    assert (code.id, code.name, code.pin, code.active, code.start_date) == (
        7,
        "Ok",
        "1234",
        True,
        None,
    )


async def test_nested_form_errors_are_flattened(session, stub, stub_url) -> None:
    canned_login(stub)
    stub.reply(
        f"/fr/api/v2/partage/create/3001/accessoire/{KEYPAD}",
        {
            "status": "400",
            "data": None,
            "message": {
                "global": ["Invalid form"],
                "form": {"heure_debut": {"hour": ["Out of range"]}, "nom": "Too long", "x": [{}]},
            },
        },
    )

    with raises_clean(RequestRejectedError) as err:
        await make_client(session, stub_url).create_code(3001, KEYPAD, stay())

    assert err.value.fields == {"heure_debut.hour": ["Out of range"], "nom": ["Too long"]}
    assert str(err.value).endswith("(Invalid form; heure_debut.hour: Out of range; nom: Too long)")


async def test_status_not_found_in_body(session, stub, stub_url) -> None:
    canned_login(stub)
    stub.reply("/fr/api/v2/serrure/get/3001", {"status": 404, "data": None, "message": "gone"})

    with raises_clean(NotFoundError):
        await make_client(session, stub_url).get_lock(3001)


async def test_unreadable_lock_and_created_code(session, stub, stub_url) -> None:
    canned_login(stub)
    stub.reply("/fr/api/v2/serrure/get/3001", {"status": 200, "data": {"nom": "no id"}})
    stub.reply(f"/fr/api/v2/partage/create/3001/accessoire/{KEYPAD}", {"status": 200, "data": {}})
    client = make_client(session, stub_url)

    with raises_clean(InvalidResponseError):
        await client.get_lock(3001)
    with raises_clean(InvalidResponseError):
        await client.create_code(3001, KEYPAD, stay())


async def test_lock_without_state_or_keypad_type(session, stub, stub_url) -> None:
    canned_login(stub)
    lock = {
        "id": "3001",
        "etat": None,
        "accessoires": [{"accessoire": {"id_accessoire": "NoType1"}}, "junk"],
    }
    stub.reply("/fr/api/v2/serrure/get/3001", {"status": 200, "data": lock})

    got = await make_client(session, stub_url).get_lock(3001)

    assert (got.name, got.state, got.has_gateway) == ("Lock 3001", LockState.UNKNOWN, False)
    assert [k.id for k in got.keypads] == ["NoType1"]


# --- review findings ----------------------------------------------------------------------


async def test_failed_relogin_is_shared_not_repeated(session, thekeys_url, thekeys_sim) -> None:
    """Eight callers, a password changed elsewhere: one login attempt, not eight."""
    clock = FakeClock()
    client = make_client(session, thekeys_url, clock=clock)
    await client.get_account()
    thekeys_sim.expire_tokens()
    thekeys_sim.password = "changed-elsewhere"
    thekeys_sim.clear_log()

    results = await asyncio.gather(
        *(client.list_codes(3001) for _ in range(8)), return_exceptions=True
    )

    assert all(isinstance(result, AuthenticationError) for result in results)
    assert thekeys_sim.count("/api/login_check") == 1
    thekeys_sim.password = TK_PASSWORD
    with raises_clean(AuthenticationError):  # still fails fast for a minute
        await client.list_codes(3001)
    assert thekeys_sim.count("/api/login_check") == 1
    clock.now += 61
    assert await client.list_codes(3001) == ()  # then tries again


async def test_refused_token_on_create_leaves_exactly_one_code(
    session, thekeys_url, thekeys_sim
) -> None:
    client = make_client(session, thekeys_url)
    await client.login()
    thekeys_sim.expire_tokens()

    await client.create_code(3001, KEYPAD, stay())

    assert len(thekeys_sim.codes(3001)) == 1
    assert thekeys_sim.logins == 2


async def test_concurrent_results_are_complete(session, thekeys_url, thekeys_sim) -> None:
    thekeys_sim.add_code(3001, KEYPAD, "Cleaner", "7391", date(2026, 1, 1), date(2027, 1, 1))
    client = make_client(session, thekeys_url)
    await client.get_account()
    thekeys_sim.expire_tokens()
    thekeys_sim.clear_log()

    results = await asyncio.gather(*(client.list_codes(3001) for _ in range(4)))

    assert [[code.name for code in codes] for codes in results] == [["Cleaner"]] * 4
    assert thekeys_sim.count("/api/login_check") == 1
    assert thekeys_sim.count("/partage/all/serrure/3001") == 8  # refused once, retried once


async def test_envelope_401_renews_the_token(session, stub, stub_url) -> None:
    canned_login(stub)
    stub.reply(ACCOUNT, {"status": 401, "data": None, "message": "invalid_grant"})

    with raises_clean(AuthenticationError):
        await make_client(session, stub_url).get_account()
    assert stub.hits.count("/api/login_check") == 1 + TOKEN_ROUNDS


async def test_guest_named_invalid_grant_is_just_a_name(session, stub, stub_url) -> None:
    canned_login(stub)
    code = {
        "id": 1,
        "nom": "smoobu invalid_grant",
        "code": "4821",
        "accessoire": {"id_accessoire": KEYPAD},
    }
    stub.reply(
        "/fr/api/v2/partage/all/serrure/3001",
        {"status": 200, "data": {"partages_accessoire": [code]}},
    )

    (listed,) = await make_client(session, stub_url).list_codes(3001)

    assert listed.name == "smoobu invalid_grant"
    assert stub.hits.count("/api/login_check") == 1


async def test_login_answer_that_is_not_json_is_a_refusal(session, stub, stub_url) -> None:
    stub.reply("/api/login_check", text="<html>Maintenance</html>")

    with raises_clean(AuthenticationError):
        await make_client(session, stub_url).login()


@pytest.mark.parametrize("data", [[], {"serrures": "x"}, {"id": 42}])
async def test_unreadable_account_is_never_lock_free(session, stub, stub_url, data) -> None:
    canned_login(stub)
    stub.reply(ACCOUNT, {"status": 200, "data": data})

    with raises_clean(InvalidResponseError):
        await make_client(session, stub_url).get_account()


async def test_pin_is_masked_in_rejections(session, stub, stub_url) -> None:
    canned_login(stub)
    stub.reply(
        f"/fr/api/v2/partage/create/3001/accessoire/{KEYPAD}",
        {
            "status": 400,
            "message": {"global": ["Code 4821 refused"], "form": {"code": ["4821 taken"]}},
        },
    )

    with raises_clean(RequestRejectedError) as err:
        await make_client(session, stub_url).create_code(3001, KEYPAD, stay())

    assert "4821" not in exception_text(err.value)
    assert err.value.fields == {"code": ["*** taken"]}


async def test_tokens_that_die_after_two_uses_fail_no_request(
    session, thekeys_url, thekeys_sim
) -> None:
    thekeys_sim.token_uses = 2
    client = make_client(session, thekeys_url)

    results = await asyncio.gather(
        *(client.list_codes(3001) for _ in range(40)), return_exceptions=True
    )

    assert [r for r in results if isinstance(r, BaseException)] == []
    assert thekeys_sim.logins >= 20  # every token really did die after two uses


async def test_refusals_count_the_clouds_answers_not_the_shared_copies(
    session, thekeys_url, thekeys_sim
) -> None:
    """The sync's login guard counts refusals by this: eight callers, one refusal."""
    client = make_client(session, thekeys_url, clock=FakeClock())
    thekeys_sim.password = "changed-elsewhere"

    results = await asyncio.gather(
        *(client.list_codes(3001) for _ in range(8)), return_exceptions=True
    )
    with raises_clean(AuthenticationError):  # the refusal held: no login, no new refusal
        await client.get_account()
    assert all(isinstance(result, AuthenticationError) for result in results)
    assert (client.refusals, thekeys_sim.count("/api/login_check")) == (1, 1)

    thekeys_sim.faults.fail_next = 1  # a server error is not a refusal
    client.allow_login()  # the guard's own backoff is over: try now, within the minute
    with raises_clean(CommunicationError):
        await client.get_account()
    assert client.refusals == 1
    thekeys_sim.password = TK_PASSWORD
    client.allow_login()
    await client.get_account()
    assert (client.refusals, client.login_count) == (1, 1)
