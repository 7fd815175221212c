"""Staff access on the demo simulators: the staff member's form, the cleaner's turnover code,
the owner's permanent one, the visits granted by action, and the cleaner seen at the door."""

from __future__ import annotations

from datetime import date
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigSubentryData
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import Unauthorized
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
)

from custom_components.lockbridge.const import (
    CONF_NAME,
    CONF_PERMANENT,
    CONF_PIN,
    CONF_ROLE,
    CONF_TURNOVER,
    CONF_TURNOVER_END,
    CONF_TURNOVER_START,
    CONF_UNIT_IDS,
    DOMAIN,
    EVENT_ACCESS_GRANTED,
    EVENT_ACCESS_REVOKED,
    SUBENTRY_STAFF,
)
from custom_components.lockbridge.engine.ownership import parse_tag
from tests.demo_stack import Demo, set_up, the_state
from tests.fakes.thekeys import SimCode
from tests.test_door import until
from tests.test_sources import tick

SEASIDE_LOCK, SEASIDE_KEYPAD = 3701, "Kp7Lm2Qa"
#: The Seaside Loft's unit unique id (the Smoobu simulator's user is 7).
SEASIDE = "smoobu-7_101"
DAY = "sensor.seaside_loft_day"
HOUSEKEEPING = "select.seaside_loft_housekeeping"
MARIE_PIN = "583920"
PAUL_PIN = "640271"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def staff(name: str, **data: Any) -> ConfigSubentryData:
    """A staff member's subentry, as the flow stores it."""
    return ConfigSubentryData(
        data={CONF_NAME: name, **data}, subentry_type=SUBENTRY_STAFF, title=name, unique_id=None
    )


def marie(**extra: Any) -> ConfigSubentryData:
    """The demo's cleaner: the Seaside Loft's turnovers, with her own PIN."""
    return staff(
        "Marie",
        **{
            CONF_ROLE: "cleaner",
            CONF_UNIT_IDS: [SEASIDE],
            CONF_TURNOVER: True,
            CONF_PIN: MARIE_PIN,
            **extra,
        },
    )


def with_staff(demo: Demo, *members: ConfigSubentryData, **kwargs: Any) -> MockConfigEntry:
    """The demo entry with these staff members."""
    entry = demo.entry(**kwargs)
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=entry.unique_id,
        title=entry.title,
        data=dict(entry.data),
        options=dict(entry.options),
        subentries_data=[
            ConfigSubentryData(
                data=dict(sub.data),
                subentry_type=sub.subentry_type,
                title=sub.title,
                unique_id=sub.unique_id,
            )
            for sub in entry.subentries.values()
        ]
        + list(members),
    )


def staff_codes(demo: Demo, entry: MockConfigEntry, lock_id: int = SEASIDE_LOCK) -> list[SimCode]:
    """Our staff codes on a lock's keypads."""
    owner = entry.runtime_data.coordinator.owner
    return [c for c in demo.thekeys.codes(lock_id) if f"lockbridge:{owner}:staff:" in c.description]


def window(code: SimCode) -> tuple[Any, ...]:
    return (code.start, code.start_time, code.end, code.end_time)


def is_permanent(code: SimCode) -> bool:
    """A code with no window at all (the cloud lists it with no dates, no times)."""
    return code.permanent and (code.start_time, code.end_time) == (None, None)


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def start(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_STAFF), context={"source": SOURCE_USER}
    )


async def configure(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(flow_id, data)


async def test_the_staff_form_checks_pin_units_and_window_and_keeps_a_saved_pin(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry())
    good = {
        CONF_NAME: " Marie ",
        CONF_ROLE: "cleaner",
        CONF_UNIT_IDS: [SEASIDE],
        CONF_TURNOVER: True,
        CONF_PERMANENT: False,
        CONF_PIN: MARIE_PIN,
    }
    result = await start(hass, entry)
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "user")

    for answer, errors in (
        ({**good, CONF_PIN: "1234"}, {CONF_PIN: "bad_pin"}),
        ({**good, CONF_UNIT_IDS: []}, {CONF_UNIT_IDS: "turnover_needs_units"}),
        ({**good, CONF_TURNOVER_START: "11:00:00"}, {"base": "turnover_window"}),
        ({**good, CONF_TURNOVER_END: "15:00:00"}, {"base": "turnover_window"}),
    ):
        result = await configure(hass, result["flow_id"], answer)
        assert (result["type"], result["errors"]) == (FlowResultType.FORM, errors), answer
        # The PIN typed is never sent back to the browser.
        assert all(
            (key.description or {}).get("suggested_value") is None
            for key in result["data_schema"].schema
            if str(key) == CONF_PIN
        )

    result = await configure(hass, result["flow_id"], good)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    [subentry] = [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_STAFF]
    assert subentry.title == "Marie"
    assert subentry.data[CONF_PIN] == MARIE_PIN
    # The entry reloaded with her: her turnover code is on the Seaside Loft's keypad.
    assert [c.code for c in staff_codes(demo, entry)] == [MARIE_PIN]

    result = await entry.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    assert result["step_id"] == "reconfigure"
    result = await configure(
        hass, result["flow_id"], {**good, CONF_NAME: "Marie Curie", CONF_PIN: ""}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reconfigure_successful")
    await hass.async_block_till_done()
    data = entry.subentries[subentry.subentry_id].data
    assert (data[CONF_NAME], data[CONF_PIN]) == ("Marie Curie", MARIE_PIN)
    assert [c.code for c in staff_codes(demo, entry)] == [MARIE_PIN]


async def test_a_turnover_code_holds_check_out_to_the_next_check_in(
    hass: HomeAssistant, demo: Demo
) -> None:
    granted = async_capture_events(hass, EVENT_ACCESS_GRANTED)
    entry = await set_up(hass, with_staff(demo, marie()))

    # Lars leaves the Seaside Loft at 12:00 today, Zoë arrives at 15:00.
    [code] = staff_codes(demo, entry)
    assert code.id_accessoire == SEASIDE_KEYPAD
    assert code.code == MARIE_PIN
    assert code.name == "cleaner Marie"
    assert window(code) == (date(2026, 11, 23), (12, 0), date(2026, 11, 23), (15, 0))
    assert parse_tag(code.description) is not None
    day = the_state(hass, DAY).attributes
    assert {k: day[k] for k in ("cleaning_start", "cleaning_end", "cleaner", "cleaner_code")} == {
        "cleaning_start": "2026-11-23T12:00:00+01:00",
        "cleaning_end": "2026-11-23T15:00:00+01:00",
        "cleaner": "Marie",
        "cleaner_code": "scheduled",
    }

    [event] = granted
    assert event.data["code_id"] == str(code.id)
    assert (event.data["person"], event.data["rule"], event.data["role"]) == (
        "Marie",
        "turnover",
        "cleaner",
    )
    assert "pin" not in event.data
    assert not any(
        re.search(rf"(?<![0-9]){MARIE_PIN}(?![0-9])", str(value)) for value in event.data.values()
    )
    # Nothing more on the next sync.
    await call(hass, "sync")
    assert len(granted) == 1


async def test_moving_the_next_check_in_moves_the_cleaners_end(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, with_staff(demo, marie()))
    zoe = next(c for c in demo.thekeys.codes(SEASIDE_LOCK) if c.name == "smoobu Zoë Müller")
    [before] = staff_codes(demo, entry)

    await hass.services.async_call(
        DOMAIN,
        "set_stay_override",
        {"booking": str(parse_tag(zoe.description)), "check_in": "2026-11-23 16:30:00"},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    [after] = staff_codes(demo, entry)
    assert after.id == before.id  # the same code, moved: the cleaner keeps her PIN
    assert window(after) == (date(2026, 11, 23), (12, 0), date(2026, 11, 23), (16, 30))
    assert the_state(hass, DAY).attributes["cleaning_end"] == "2026-11-23T16:30:00+01:00"

    # Zoë's arrival moved to tomorrow in Smoobu itself: nobody comes after Lars today, the
    # cleaner has the rest of the day.
    await hass.services.async_call(
        DOMAIN,
        "set_stay_override",
        {"booking": str(parse_tag(zoe.description)), "clear": True},
        blocking=True,
    )
    booking = next(b for b in demo.smoobu.bookings.values() if b["guest-name"] == "Zoë Müller")
    demo.smoobu.move_booking(
        booking["id"], arrival=date(2026, 11, 24), departure=date(2026, 11, 28)
    )
    await call(hass, "sync")
    [moved] = staff_codes(demo, entry)
    assert moved.id == before.id
    assert window(moved) == (date(2026, 11, 23), (12, 0), date(2026, 11, 23), (23, 59))


async def test_a_permanent_code_survives_a_failing_and_an_empty_source(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    paul = staff(
        "Paul",
        **{CONF_ROLE: "owner", CONF_UNIT_IDS: [SEASIDE], CONF_PERMANENT: True, CONF_PIN: PAUL_PIN},
    )
    entry = await set_up(hass, with_staff(demo, marie(), paul))
    codes = {c.code: c for c in staff_codes(demo, entry)}
    assert set(codes) == {MARIE_PIN, PAUL_PIN}
    assert is_permanent(codes[PAUL_PIN])
    assert codes[PAUL_PIN].name == "owner Paul"
    assert demo.thekeys.code_open_at(codes[PAUL_PIN])
    kept = {(c.id, c.code) for c in codes.values()}

    demo.smoobu.faults.fail_next = 10_000
    for _ in range(4):
        await tick(hass, freezer, 5.1)
    assert {(c.id, c.code) for c in staff_codes(demo, entry)} == kept

    demo.smoobu.faults.fail_next = 0
    demo.smoobu.bookings.clear()  # Smoobu answers, with nothing at all
    for _ in range(4):
        await tick(hass, freezer, 5.1)
    await call(hass, "sync")
    assert {(c.id, c.code) for c in staff_codes(demo, entry)} == kept


async def test_grant_revoke_and_get_access(
    hass: HomeAssistant,
    demo: Demo,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
) -> None:
    entry = await set_up(hass, with_staff(demo, marie()))
    granted = async_capture_events(hass, EVENT_ACCESS_GRANTED)
    revoked = async_capture_events(hass, EVENT_ACCESS_REVOKED)
    visit = {"person": "marie", "start": "2026-11-24 10:00:00", "end": "2026-11-24 12:00:00"}

    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "grant_access",
            visit,
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    assert len(staff_codes(demo, entry)) == 1
    answer: Any = await hass.services.async_call(
        DOMAIN,
        "grant_access",
        visit,
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_admin_user.id),
    )
    assert answer is not None
    visit_id = answer["visit_id"]
    assert re.fullmatch(r"[0-9a-f]{12}", str(visit_id))
    [door] = answer["doors"]
    assert (door["lock_id"], door["keypad_id"]) == (SEASIDE_LOCK, SEASIDE_KEYPAD)
    code = next(c for c in demo.thekeys.codes(SEASIDE_LOCK) if str(c.id) == door["code_id"])
    assert code.code == door["pin"]
    assert window(code) == (date(2026, 11, 24), (10, 0), date(2026, 11, 24), (12, 0))
    assert code.description.endswith(f".v.{visit_id}")
    assert [e.data["rule"] for e in granted] == ["visit"]
    assert all("pin" not in e.data for e in granted)

    access = (await call(hass, "get_access"))["access"]
    assert sorted(a["rule"] for a in access) == ["turnover", "visit"]
    pins = {a["rule"]: [d["pin"] for d in a["doors"]] for a in access}
    assert pins == {"turnover": [MARIE_PIN], "visit": [code.code]}
    assert next(a for a in access if a["rule"] == "turnover")["unit"] == "Seaside Loft"

    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            "revoke_access",
            {"visit_id": visit_id},
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    await call(hass, "revoke_access", visit_id=visit_id)
    assert all(c.id != code.id for c in demo.thekeys.codes())
    [event] = revoked
    assert (event.data["code_id"], event.data["rule"]) == (str(code.id), "visit")
    assert "pin" not in event.data
    assert [c.code for c in staff_codes(demo, entry)] == [MARIE_PIN]  # the turnover's stays


async def test_the_cleaner_at_the_door_sets_the_unit_cleaning(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, with_staff(demo, marie()))
    await until(hass, freezer, 12, 30)
    assert the_state(hass, HOUSEKEEPING).state == "dirty"
    assert the_state(hass, DAY).attributes["cleaner_code"] == "active"

    assert demo.thekeys.type_pin(SEASIDE_KEYPAD, MARIE_PIN) is not None
    await hass.services.async_call(
        DOMAIN, "read_activity", {"unit": "calendar.seaside_loft"}, blocking=True
    )
    await tick(hass, freezer, 1)
    assert the_state(hass, HOUSEKEEPING).state == "cleaning"


async def test_an_entry_as_configured_before_staff_plans_nothing_new(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry())
    units = next(iter(entry.subentries.values())).data["units"]
    assert all("doors" not in item for item in units.values())

    plan = await call(hass, "sync", config_entry_id=entry.entry_id, dry_run=True)
    assert plan["actions"] == []
    await call(hass, "sync", config_entry_id=entry.entry_id)
    last = the_state(hass, "sensor.lockbridge_last_sync").attributes
    assert (last["created"], last["updated"], last["removed"], last["failed"]) == (0, 0, 0, 0)
    assert (await call(hass, "get_access"))["access"] == []
    assert staff_codes(demo, entry) == []
    assert the_state(hass, DAY).attributes["cleaner"] is None
