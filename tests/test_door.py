"""The guest at the door: a PIN typed at the keypad checks the guest in, once; a guest not seen
is told late, once; odd log entries change nothing; housekeeping and health follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.lockbridge.const import (
    DOMAIN,
    EVENT_CHECKED_IN,
    EVENT_EARLY,
    EVENT_NOT_ARRIVED,
)
from custom_components.lockbridge.diagnostics import async_get_config_entry_diagnostics
from tests.demo_stack import Demo, set_up, the_state
from tests.fakes.thekeys import SimCode
from tests.test_sources import tick

SEASIDE_LOCK, SEASIDE_KEYPAD = 3701, "Kp7Lm2Qa"
STANDARD_LOCK, STANDARD_KEYPAD = 3704, "Kh2Vc6Pz"
DAY = "sensor.seaside_loft_day"
HOUSEKEEPING = "select.seaside_loft_housekeeping"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Load our integration."""


def activity_reads(demo: Demo) -> list[str]:
    """The paths of the lock activity reads the simulator answered, in order."""
    return [r.path for r in demo.thekeys.requests if "/serrure/get/" in r.path]


def code_of(demo: Demo, lock_id: int, guest: str) -> SimCode:
    """The guest's code on the simulated keypad."""
    return next(c for c in demo.thekeys.codes(lock_id) if c.name.endswith(guest))


async def until(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hh: int, mm: int) -> None:
    """Move the demo day's clock to hh:mm in Paris (UTC+1), a few steps at a time."""
    target = datetime(2026, 11, 23, hh - 1, mm, tzinfo=UTC)
    while (left := (target - datetime.now(UTC)).total_seconds() / 60) > 0:
        await tick(hass, freezer, min(left, 30))


def bookings(events: list[Event[Any]]) -> list[str]:
    return [event.data["booking_id"] for event in events]


async def test_a_pin_typed_at_the_keypad_checks_the_guest_in_once(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    checked_in = async_capture_events(hass, EVENT_CHECKED_IN)
    entry = await set_up(hass, demo.entry())
    assert the_state(hass, DAY).state == "in_house"  # Lars, leaving today
    assert the_state(hass, HOUSEKEEPING).state == "ready"

    await until(hass, freezer, 12, 30)
    assert the_state(hass, DAY).state == "departed"
    assert the_state(hass, HOUSEKEEPING).state == "dirty"  # by itself, once Lars left
    await until(hass, freezer, 15, 5)
    assert the_state(hass, DAY).state == "arriving"
    zoe = code_of(demo, SEASIDE_LOCK, "Zoë Müller")
    demo.thekeys.clear_log()

    demo.thekeys.type_pin(SEASIDE_KEYPAD, zoe.code)
    await tick(hass, freezer, 5)  # one activity read

    [event] = checked_in
    key = event.data["booking_id"]
    assert event.data == {
        "entry_id": entry.entry_id,
        "booking_id": key,
        "source": "smoobu",
        "unit_id": "101",
        "unit": "Seaside Loft",
        "lock_id": SEASIDE_LOCK,
        "lock": "Seaside Loft - Front door",
        "guest": "Zoë",
        "check_in": "2026-11-23T15:00:00+01:00",
        "time": event.data["time"],
        "how": "keypad",
        "early": False,
    }
    day = the_state(hass, DAY)
    assert day.state == "in_house"
    assert day.attributes["checked_in"] == event.data["time"]
    assert day.attributes["checked_in_how"] == "keypad"
    # Only the locks where a guest is due were read, one request each.
    reads = activity_reads(demo)
    assert reads
    assert all(p.endswith(("/3701", "/3704")) for p in reads)
    stays = await hass.services.async_call(
        DOMAIN, "get_stays", {"booking": key}, blocking=True, return_response=True
    )
    assert stays["stays"][0]["checked_in"] == event.data["time"]  # type: ignore[index,call-overload]

    # A restart neither loses nor repeats it.
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await tick(hass, freezer, 10)
    assert len(checked_in) == 1
    assert the_state(hass, DAY).attributes["checked_in"] == event.data["time"]
    assert the_state(hass, DAY).state == "in_house"


async def test_a_guest_not_seen_is_told_late_once_at_the_configured_time(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    late = async_capture_events(hass, EVENT_NOT_ARRIVED)
    entry = await set_up(hass, demo.entry(options={"not_arrived_after_hours": 2}))
    await until(hass, freezer, 16, 59)
    assert late == []
    await hass.config_entries.async_reload(entry.entry_id)  # the timer is made again
    await hass.async_block_till_done()
    await until(hass, freezer, 17, 1)

    # Zoë (Smoobu) and Ayşe (HotelRunner) both check in at 15:00; neither was seen.
    assert sorted(e.data["guest"] for e in late) == ["Ayşe", "Zoë"]
    assert all(e.data["expected_by"] == "2026-11-23T17:00:00+01:00" for e in late)
    assert all(e.data["activity_readable"] is True for e in late)
    assert the_state(hass, DAY).attributes["late"] is True

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await tick(hass, freezer, 30)
    assert len(late) == 2
    # Seen after all (a late guest's lock is read every 15 minutes): in, no longer late.
    demo.thekeys.type_pin(SEASIDE_KEYPAD, code_of(demo, SEASIDE_LOCK, "Zoë Müller").code)
    await tick(hass, freezer, 15)
    assert the_state(hass, DAY).state == "in_house"
    assert the_state(hass, DAY).attributes["late"] is False


async def test_a_guest_in_just_before_the_delay_is_not_told_late(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    """The doors are looked at once more when a guest becomes late, not only every round."""
    late = async_capture_events(hass, EVENT_NOT_ARRIVED)
    checked_in = async_capture_events(hass, EVENT_CHECKED_IN)
    await set_up(hass, demo.entry(options={"not_arrived_after_hours": 2}))
    await until(hass, freezer, 16, 59)
    reads = len(activity_reads(demo))
    demo.thekeys.type_pin(SEASIDE_KEYPAD, code_of(demo, SEASIDE_LOCK, "Zoë Müller").code)
    freezer.tick(timedelta(seconds=60))  # 17:00, Zoë's moment to be late, before a round
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert [e.data["guest"] for e in checked_in] == ["Zoë"]
    assert [e.data["guest"] for e in late] == ["Ayşe"]  # Ayşe was not seen
    # Only the locks whose guests were due were looked at.
    read = activity_reads(demo)[reads:]
    assert read
    assert all(p.endswith(("/3701", "/3704")) for p in read)


async def test_odd_entries_change_no_stay_and_harm_no_other_lock(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    checked_in = async_capture_events(hass, EVENT_CHECKED_IN)
    entry = await set_up(hass, demo.entry())
    await until(hass, freezer, 15, 5)
    zoe = code_of(demo, SEASIDE_LOCK, "Zoë Müller")
    hiroshi = code_of(demo, 3702, "Hiroshi Tanaka")
    now = int(datetime.now(UTC).timestamp())

    def entry_(id_: int, share: Any, action: Any = "open", ts: Any = now) -> dict[str, Any]:
        return {"id": id_, "action": action, "data": {"ts": ts}, "accessory_share_id": share}

    for raw in (
        entry_(1, 999_999),  # a code that is not ours
        entry_(2, hiroshi.id),  # another unit's code
        entry_(3, zoe.id, ts=now - 86_400),  # Zoë's, a day before her window
        entry_(4, zoe.id, action="frobnicate"),  # an action nobody knows
        entry_(5, zoe.id, action="code_refused"),
        {  # a date in 9999
            "id": 6,
            "action": "open",
            "accessory_share_id": zoe.id,
            "action_at": {"date": "9999-01-01 10:00:00.000000", "timezone": "Europe/Paris"},
        },
        entry_(7, zoe.id, ts=253_402_300_000),  # the epoch of 9999
        "garbage",
        None,
        {"id": "x", "accessory_share_id": zoe.id},
        entry_(8, {"nested": zoe.id}),
    ):
        demo.thekeys.add_log(SEASIDE_LOCK, raw)
    await tick(hass, freezer, 5)
    assert checked_in == []
    assert the_state(hass, DAY).state == "arriving"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    seaside = diagnostics["doors"]["locks"][str(SEASIDE_LOCK)]
    assert seaside["unknown_actions"] == {"frobnicate": 1}
    assert seaside["dropped"] == 5  # 9999 twice, "garbage", None, an id that is not one

    # A 10 MB log on one lock: that lock is unreadable, the next one is read as ever.
    huge = [entry_(100 + i, 999_999) | {"pad": "x" * 1000} for i in range(10_000)]
    demo.thekeys.set_raw_logs(SEASIDE_LOCK, huge)
    ayse = code_of(demo, STANDARD_LOCK, "Ayşe Yılmaz")
    demo.thekeys.type_pin(STANDARD_KEYPAD, ayse.code)
    await tick(hass, freezer, 5)
    assert [e.data["guest"] for e in checked_in] == ["Ayşe"]
    assert the_state(hass, "sensor.standard_room_day").state == "in_house"
    assert the_state(hass, DAY).state == "arriving"
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["doors"]["unreadable_locks"] == 1
    # A log that is not a list at all.
    demo.thekeys.set_raw_logs(SEASIDE_LOCK, {"not": "a list"})
    await tick(hass, freezer, 5)
    assert the_state(hass, DAY).state == "arriving"
    assert len(checked_in) == 1


async def test_a_code_used_before_check_in_is_early(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    early = async_capture_events(hass, EVENT_EARLY)
    checked_in = async_capture_events(hass, EVENT_CHECKED_IN)
    await set_up(hass, demo.entry(options={"buffer_before": 120}))
    await until(hass, freezer, 13, 30)  # her code works from 13:00; check-in is 15:00
    demo.thekeys.type_pin(SEASIDE_KEYPAD, code_of(demo, SEASIDE_LOCK, "Zoë Müller").code)
    await tick(hass, freezer, 5)
    assert [e.data["early"] for e in checked_in] == [True]
    assert bookings(early) == bookings(checked_in)
    assert the_state(hass, DAY).state == "in_house"
    assert the_state(hass, DAY).attributes["early"] is True


async def test_housekeeping_and_a_guest_marked_in_by_hand(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    checked_in = async_capture_events(hass, EVENT_CHECKED_IN)
    await set_up(hass, demo.entry())
    await until(hass, freezer, 12, 30)
    assert the_state(hass, HOUSEKEEPING).state == "dirty"
    await hass.services.async_call(
        "select", "select_option", {"entity_id": HOUSEKEEPING, "option": "cleaning"}, blocking=True
    )
    assert the_state(hass, HOUSEKEEPING).state == "cleaning"
    await hass.services.async_call(
        DOMAIN,
        "set_housekeeping",
        {"unit": "calendar.seaside_loft", "state": "ready"},
        blocking=True,
    )
    assert the_state(hass, HOUSEKEEPING).state == "ready"

    # Nobody to mark before the guest's window: refused, and said why.
    with pytest.raises(HomeAssistantError, match="Nobody is arriving"):
        await hass.services.async_call(
            "button", "press", {"entity_id": "button.old_town_flat_mark_guest_checked_in"}, True
        )
    await until(hass, freezer, 15, 5)
    button = "button.seaside_loft_mark_guest_checked_in"
    await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    assert [(e.data["guest"], e.data["how"]) for e in checked_in] == [("Zoë", "manual")]
    assert the_state(hass, DAY).state == "in_house"
    # The action, for a guest by booking: told once as well.
    answer = await hass.services.async_call(
        DOMAIN,
        "mark_checked_in",
        {"unit": "calendar.standard_room"},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    assert answer["how"] == "manual"
    assert [e.data["guest"] for e in checked_in] == ["Zoë", "Ayşe"]
    # The next departure makes it dirty again (Zoë leaves on the 27th at 12:00).
    freezer.move_to(datetime(2026, 11, 27, 11, 30, tzinfo=UTC))
    await tick(hass, freezer, 1)
    assert the_state(hass, HOUSEKEEPING).state == "dirty"
    assert the_state(hass, DAY).state == "departed"


def issue_keys(hass: HomeAssistant) -> set[str]:
    return {
        i.translation_key or "" for i in ir.async_get(hass).issues.values() if i.domain == DOMAIN
    }


@pytest.mark.usefixtures("every_entity_enabled")
async def test_a_low_battery_and_a_silent_keypad_raise_repairs_that_clear(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, demo.entry())
    # The demo's Garden Studio lock is at 6 %: today that raises its repair.
    [low] = [i for i in ir.async_get(hass).issues.values() if i.translation_key == "battery_low"]
    assert low.translation_placeholders == {"lock": "Garden Studio - Garden door", "percent": "6"}
    demo.thekeys.set_battery(3702, 7900)
    await tick(hass, freezer, 5.1)
    assert "battery_low" not in issue_keys(hass)

    # Zoë is due today; the cloud last saw her keypad 30 hours ago.
    last_seen = (datetime.now(UTC) - timedelta(hours=30)).replace(microsecond=0)
    demo.thekeys.set_keypad_seen(SEASIDE_LOCK, SEASIDE_KEYPAD, last_seen)
    await hass.services.async_call(DOMAIN, "read_activity", {"unit": "calendar.seaside_loft"}, True)
    await tick(hass, freezer, 5.1)
    [silent] = [
        i for i in ir.async_get(hass).issues.values() if i.translation_key == "keypad_unseen"
    ]
    assert silent.translation_placeholders == {
        "lock": "Seaside Loft - Front door",
        "keypad": "Digicode",
        "hours": "30",
    }
    seen = the_state(hass, "sensor.seaside_loft_front_door_keypad_last_seen")
    assert datetime.fromisoformat(seen.state) == last_seen
    assert seen.attributes["keypads"] == {"Digicode": last_seen.isoformat()}
    demo.thekeys.set_keypad_seen(SEASIDE_LOCK, SEASIDE_KEYPAD, datetime.now(UTC))
    await hass.services.async_call(DOMAIN, "read_activity", {}, blocking=True)
    await tick(hass, freezer, 5.1)
    assert "keypad_unseen" not in issue_keys(hass)
    assert entry.runtime_data.watch.read_failures == 0
