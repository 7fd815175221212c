"""Actions and the events they and the sync fire, against the demo simulators."""

from __future__ import annotations

from datetime import date, timedelta
import re
from typing import Any
import unicodedata

from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockUser, async_capture_events
import voluptuous as vol

from custom_components.lockbridge.const import (
    DOMAIN,
    EVENT_CODE_CREATED,
    EVENT_CODE_FAILED,
    EVENT_CODE_REMOVED,
    EVENT_CODE_UPDATED,
)
from custom_components.lockbridge.engine.ownership import NAME_MAX, parse_tag
from tests.demo_stack import Demo, set_up

LOCK = "lock.seaside_loft_front_door"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def test_events_carry_no_pin_and_get_stays_gives_it(hass: HomeAssistant, demo: Demo) -> None:
    created = async_capture_events(hass, EVENT_CODE_CREATED)
    await set_up(hass, demo.entry())

    zoe = next(e.data for e in created if e.data["guest"] == "Zoë Müller")
    code = next(c for c in demo.thekeys.codes(3701) if c.name == "smoobu Zoë Müller")
    assert zoe == {
        "entry_id": zoe["entry_id"],
        "lock_id": 3701,
        "lock": "Seaside Loft - Front door",
        "keypad_id": "Kp7Lm2Qa",
        "code_id": str(code.id),
        "name": "smoobu Zoë Müller",
        "start": "2026-11-23T15:00:00+01:00",
        "end": "2026-11-27T12:00:00+01:00",
        "booking_id": str(parse_tag(code.description)),
        "source": "smoobu",
        "unit_id": "101",
        "unit": "Seaside Loft",
        "guest": "Zoë Müller",
        "reason": "new_booking",
    }
    assert len(created) == 9

    # What an automation on that event does to tell the guest: ask for the stay.
    response = await call(hass, "get_stays", booking=zoe["booking_id"])
    assert response == {
        "stays": [
            {
                "booking_id": zoe["booking_id"],
                "unit": "Seaside Loft",
                "guest": "Zoë Müller",
                "language": "de",
                "arrival": "2026-11-23",
                "departure": "2026-11-27",
                "check_in": "2026-11-23T15:00:00+01:00",
                "check_out": "2026-11-27T12:00:00+01:00",
                "start": "2026-11-23T15:00:00+01:00",
                "end": "2026-11-27T12:00:00+01:00",
                "lock": "Seaside Loft - Front door",
                "code_state": "scheduled",
                "code_id": str(code.id),
                "pin": code.code,
                "checked_in": None,
                "checked_in_how": None,
                "email": "zoe.mueller@example.de",
                "phone": "+49 151 23456789",
            }
        ]
    }


async def test_no_event_of_any_kind_holds_a_pin(hass: HomeAssistant, demo: Demo) -> None:
    events = [
        async_capture_events(hass, kind)
        for kind in (EVENT_CODE_CREATED, EVENT_CODE_UPDATED, EVENT_CODE_REMOVED, EVENT_CODE_FAILED)
    ]
    entry = await set_up(hass, demo.entry())
    pins = {c.code for c in demo.thekeys.codes()}
    response = await call(
        hass,
        "create_code",
        lock=LOCK,
        name="Plumber",
        start="2026-11-24 08:00",
        end="2026-11-24 18:00",
    )
    pins.add(response["pin"])
    await call(hass, "remove_code", lock=LOCK, name="Plumber")
    regenerated = await call(hass, "regenerate_code", booking=str(next(iter(demo_keys(demo)))))
    pins.add(regenerated["pin"])
    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 100, "/partage/create/"
    entry.runtime_data.coordinator.sleep = no_wait  # the retries of the failing create
    demo.smoobu.add_booking(103, date(2026, 11, 25), date(2026, 11, 27), "Nina Petrova")
    await call(hass, "sync", config_entry_id=entry.entry_id)

    fired = [event for kind in events for event in kind]
    assert {event.event_type for event in fired} == {
        EVENT_CODE_CREATED, EVENT_CODE_UPDATED, EVENT_CODE_REMOVED, EVENT_CODE_FAILED
    }  # fmt: skip
    for event in fired:
        assert "pin" not in event.data
        # A PIN as a number of its own in any text (not inside an id such as "684013").
        texts = [value for value in event.data.values() if isinstance(value, str)]
        assert not any(
            re.search(rf"(?<![0-9]){pin}(?![0-9])", text) for text in texts for pin in pins
        ), event


async def test_create_and_remove_a_code_by_hand(hass: HomeAssistant, demo: Demo) -> None:
    entry = await set_up(hass, demo.entry())
    created = async_capture_events(hass, EVENT_CODE_CREATED)
    removed = async_capture_events(hass, EVENT_CODE_REMOVED)

    response = await call(
        hass,
        "create_code",
        lock=LOCK,
        name="Plumber",
        start="2026-11-24 08:00:00",
        end="2026-11-24 18:00:00",
    )

    code = next(c for c in demo.thekeys.codes(3701) if c.name == "Plumber")
    assert response["pin"] == code.code
    assert response["start"] == "2026-11-24T08:00:00+01:00"
    assert created[0].data["code_id"] == str(code.id)  # an id: no "684,013" in the UI
    # The sync leaves a hand-made code alone.
    await call(hass, "sync", config_entry_id=entry.entry_id)
    assert any(c.name == "Plumber" for c in demo.thekeys.codes(3701))

    response = await call(hass, "remove_code", lock=LOCK, name="Plumber")
    assert response == {"code_id": str(code.id), "name": "Plumber"}
    assert not any(c.name == "Plumber" for c in demo.thekeys.codes(3701))
    assert removed[0].data["code_id"] == str(code.id)

    # Two codes of one name: the id, as text (pasted from an event), tells them apart.
    for _ in range(2):
        await call(
            hass,
            "create_code",
            lock=LOCK,
            name="Painter",
            start="2026-11-24 08:00:00",
            end="2026-11-24 18:00:00",
            keypad="DIGICODE",  # the keypad's name, any case
        )
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "remove_code", lock=LOCK, name="Painter")
    assert info.value.translation_key == "code_ambiguous"
    first = next(c for c in demo.thekeys.codes(3701) if c.name == "Painter")
    await call(hass, "remove_code", lock=LOCK, code_id=f" {first.id}")
    assert [c.id for c in demo.thekeys.codes(3701) if c.name == "Painter"] != [first.id]
    assert len([c for c in demo.thekeys.codes(3701) if c.name == "Painter"]) == 1


async def test_create_code_refuses_bad_input(hass: HomeAssistant, demo: Demo) -> None:
    await set_up(hass, demo.entry())
    good = {"lock": LOCK, "name": "Guest", "start": "2026-11-24 08:00", "end": "2026-11-25 08:00"}

    for data, key in (
        ({**good, "end": "2026-11-24 07:00"}, "end_not_after_start"),
        ({**good, "pin": "1234"}, "pin_weak"),
        ({**good, "pin": "4826"}, "pin_taken"),  # the cleaner's
        ({**good, "pin": "4826\n"}, "pin_format"),
        ({**good, "pin": "٤٨٢٦"}, "pin_format"),  # Arabic-Indic digits: isdigit() says yes
        ({**good, "pin": "４８２６"}, "pin_format"),  # full-width digits
        ({**good, "pin": "48a6"}, "pin_format"),
        ({**good, "pin": "482"}, "pin_format"),
        ({**good, "start": "2026-11-20 08:00", "end": "2026-11-22 08:00"}, "window_over"),
        ({**good, "start": "0001-01-01 08:00"}, "date_out_of_range"),
        ({**good, "end": "9999-12-31 08:00"}, "date_out_of_range"),
        ({**good, "end": "2126-11-24 08:00"}, "date_out_of_range"),
        ({**good, "end": "2029-11-25 08:00"}, "window_too_long"),
        ({**good, "keypad": "Nope"}, "unknown_keypad"),
        ({**good, "lock": "lock.nowhere"}, "not_a_lockbridge_lock"),
    ):
        with pytest.raises(ServiceValidationError) as info:
            await call(hass, "create_code", **data)
        assert info.value.translation_key == key
        if key == "pin_format":  # the message says what a PIN is, in the host's language
            assert str(info.value).startswith("A PIN is 4 to 8 digits (0-9)")

    response = await call(hass, "create_code", **good, pin="90817")
    assert response["pin"] == "90817"


async def test_remove_code_leaves_foreign_codes_unless_forced(
    hass: HomeAssistant, demo: Demo
) -> None:
    await set_up(hass, demo.entry())

    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "remove_code", lock=LOCK, name="Cleaner")
    assert info.value.translation_key == "code_not_managed"
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "remove_code", lock=LOCK, code_id=1)
    assert info.value.translation_key == "code_not_found"

    await call(hass, "remove_code", lock=LOCK, name="Cleaner", force=True)
    assert not any(c.name == "Cleaner" for c in demo.thekeys.codes(3701))


async def test_regenerate_gives_a_new_pin_that_sticks(hass: HomeAssistant, demo: Demo) -> None:
    entry = await set_up(hass, demo.entry())
    updated = async_capture_events(hass, EVENT_CODE_UPDATED)
    code = next(c for c in demo.thekeys.codes(3702) if c.name == "smoobu Hiroshi Tanaka")
    booking, old_pin = str(parse_tag(code.description)), code.code

    response = await call(hass, "regenerate_code", booking=booking)

    assert response["pin"] != old_pin
    assert next(c for c in demo.thekeys.codes(3702) if c.id == code.id).code == response["pin"]
    assert (updated[0].data["code_id"], updated[0].data["reason"]) == (str(code.id), "regenerated")
    await call(hass, "sync", config_entry_id=entry.entry_id)
    assert next(c for c in demo.thekeys.codes(3702) if c.id == code.id).code == response["pin"]

    with pytest.raises(ServiceValidationError):
        await call(hass, "regenerate_code", booking="smoobu:1")


async def test_override_moves_the_window_and_survives_reload(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry())
    code = next(c for c in demo.thekeys.codes(3701) if c.name == "smoobu Zoë Müller")
    booking = str(parse_tag(code.description))

    await hass.services.async_call(
        DOMAIN,
        "set_stay_override",
        {"booking": booking, "check_in": "2026-11-23 11:00:00"},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    code = next(c for c in demo.thekeys.codes(3701) if c.id == code.id)
    assert (str(code.start), code.start_time) == ("2026-11-23", (11, 0))

    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    code = next(c for c in demo.thekeys.codes(3701) if c.id == code.id)
    assert code.start_time == (11, 0)

    await hass.services.async_call(
        DOMAIN, "set_stay_override", {"booking": booking, "clear": True}, blocking=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert next(c for c in demo.thekeys.codes(3701) if c.id == code.id).start_time == (15, 0)
    for data, key in (
        ({"booking": booking}, "override_empty"),
        ({"booking": "smoobu:1", "clear": True}, "unknown_booking"),
        ({"booking": booking, "check_out": "9999-12-31 12:00:00"}, "date_out_of_range"),
        (
            {"booking": booking, "check_in": "2026-11-23 11:00", "check_out": "2030-01-01 12:00"},
            "window_too_long",
        ),
    ):
        with pytest.raises(ServiceValidationError) as info:
            await hass.services.async_call(DOMAIN, "set_stay_override", data, blocking=True)
        assert info.value.translation_key == key


async def test_sync_dry_run_returns_the_plan_and_changes_nothing(
    hass: HomeAssistant, demo: Demo
) -> None:
    entry = await set_up(hass, demo.entry())
    code = next(c for c in demo.thekeys.codes(3701) if c.name == "smoobu Zoë Müller")
    code.name = "renamed in the app"

    plan = await call(hass, "sync", config_entry_id=entry.entry_id, dry_run=True)

    assert plan["dry_run"] is True
    assert [(a["kind"], a["reason"], a["name"]) for a in plan["actions"]] == [
        ("update", "name_changed", "smoobu Zoë Müller")
    ]
    assert plan["unchanged"] == 8
    assert "pin" not in str(plan)
    assert code.name == "renamed in the app"

    # With one account the entry may be left out, as the Guests dashboard's button does.
    plan = await call(hass, "sync")
    assert plan["dry_run"] is False
    assert code.name == "smoobu Zoë Müller"

    with pytest.raises(ServiceValidationError):
        await call(hass, "sync", config_entry_id="nope")
    await hass.config_entries.async_unload(entry.entry_id)  # no account left to choose
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "sync")
    assert err.value.translation_key == "entry_not_loaded"


async def test_cloud_failures_become_translated_errors(hass: HomeAssistant, demo: Demo) -> None:
    entry = await set_up(hass, demo.entry())
    failed: list[Event] = async_capture_events(hass, EVENT_CODE_FAILED)

    demo.thekeys.faults.fail_next = 10
    with pytest.raises(HomeAssistantError) as info:
        await call(
            hass,
            "create_code",
            lock=LOCK,
            name="Guest",
            start="2026-11-24 08:00",
            end="2026-11-25 08:00",
        )
    assert info.value.translation_key == "cloud_error"
    with pytest.raises(HomeAssistantError) as info:
        await call(hass, "sync", config_entry_id=entry.entry_id)
    assert info.value.translation_key == "sync_failed"
    demo.thekeys.faults.fail_next = 0
    assert failed == []


async def test_sync_reads_the_bookings_first(hass: HomeAssistant, demo: Demo) -> None:
    """A booking moved in Smoobu moves its code at "sync", without waiting for the poll."""
    await set_up(hass, demo.entry())
    booking = next(b for b in demo.smoobu.bookings.values() if b["guest-name"] == "Amélie Laurent")
    code = next(c for c in demo.thekeys.codes(3703) if c.name == "smoobu Amélie Laurent")
    start, end = code.start, code.end
    assert start.isoformat() == booking["arrival"]
    day = timedelta(days=1)

    demo.smoobu.move_booking(booking["id"], arrival=start + day, departure=end + day)
    await call(hass, "sync")

    moved = next(c for c in demo.thekeys.codes(3703) if c.name == "smoobu Amélie Laurent")
    assert (moved.start, moved.end) == (start + day, end + day)


async def test_the_pin_field_states_the_policy_bounds(hass: HomeAssistant, demo: Demo) -> None:
    await set_up(hass, demo.entry())

    descriptions = await async_get_all_descriptions(hass)
    create = descriptions[DOMAIN]["create_code"]
    assert create["description_placeholders"] == {"min_length": "4", "max_length": "8"}
    translations = await async_get_translations(hass, "fr", "services", [DOMAIN])
    text = translations[f"component.{DOMAIN}.services.create_code.fields.pin.description"]
    assert text.format_map(create["description_placeholders"]).startswith("4 à 8 chiffres.")


@pytest.mark.parametrize(
    ("service", "data"),
    [
        (
            "create_code",
            {"lock": LOCK, "name": "x", "start": "2026-11-24 10:00", "end": "2026-11-24 12:00"},
        ),
        ("remove_code", {"lock": LOCK, "name": "Cleaner", "force": True}),
        ("regenerate_code", {"booking": "smoobu:58123401"}),
        ("set_stay_override", {"booking": "smoobu:58123401", "clear": True}),
        ("sync", {}),
        ("get_stays", {}),
        ("send_guest_message", {"booking": "smoobu:58123401", "message": "{pin}"}),
    ],
)
async def test_door_code_actions_are_for_admins_only(
    hass: HomeAssistant,
    demo: Demo,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
    service: str,
    data: dict[str, Any],
) -> None:
    await set_up(hass, demo.entry())
    codes = {(c.lock_id, c.id, c.code, c.start, c.end) for c in demo.thekeys.codes()}

    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            service,
            data,
            blocking=True,
            context=Context(user_id=hass_read_only_user.id),
            return_response=service != "set_stay_override",
        )
    assert {(c.lock_id, c.id, c.code, c.start, c.end) for c in demo.thekeys.codes()} == codes

    # The same call by an administrator goes through (a sync, at least, changes nothing here).
    if service == "sync":
        await hass.services.async_call(
            DOMAIN,
            service,
            data,
            blocking=True,
            context=Context(user_id=hass_admin_user.id),
            return_response=True,
        )


def demo_keys(demo: Demo) -> list[str]:
    """The bookings that have a code of ours on the demo keypads."""
    return sorted(str(key) for c in demo.thekeys.codes() if (key := parse_tag(c.description)))


async def no_wait(_: float) -> None:
    """Retry backoff without waiting."""


async def test_get_stays_of_a_unit_and_a_range(hass: HomeAssistant, demo: Demo) -> None:
    await set_up(hass, demo.entry())

    response = await call(hass, "get_stays", unit="calendar.garden_studio")
    stays = response["stays"]
    assert [(s["guest"], s["code_state"]) for s in stays][:1] == [("Hiroshi Tanaka", "active")]
    assert {s["unit"] for s in stays} == {"Garden Studio"}
    assert all(s["pin"] for s in stays if s["code_state"] != "pending")

    everyone = await call(hass, "get_stays", start="2026-11-23", end="2026-11-23")
    assert {s["guest"] for s in everyone["stays"]} >= {"Hiroshi Tanaka", "Zoë Müller"}
    assert all(s["arrival"] <= "2026-11-23" <= s["departure"] for s in everyone["stays"])

    for data, key in (
        ({"unit": "sensor.garden_studio_current_guest"}, "not_a_lockbridge_unit"),
        ({"start": "2026-11-25", "end": "2026-11-24"}, "end_not_after_start"),
        ({"end": "9999-01-01"}, "date_out_of_range"),
    ):
        with pytest.raises(ServiceValidationError) as info:
            await call(hass, "get_stays", **data)
        assert info.value.translation_key == key


async def test_a_stay_is_chosen_by_its_unit_and_guest_not_by_an_id(
    hass: HomeAssistant, demo: Demo
) -> None:
    """Lars leaves Seaside Loft at 12:00, Zoë arrives at 15:00: each one by a click."""
    await set_up(hass, demo.entry())
    stays = (await call(hass, "get_stays", unit="calendar.seaside_loft"))["stays"]
    by_guest = {stay["guest"]: stay for stay in stays}

    response = await call(hass, "regenerate_code", unit="calendar.seaside_loft", stay="next")
    assert response["booking_id"] == by_guest["Zoë Müller"]["booking_id"]
    assert response["code_id"] == by_guest["Zoë Müller"]["code_id"]
    current = await call(hass, "regenerate_code", unit="calendar.seaside_loft")  # current
    assert current["booking_id"] == by_guest["Lars Johansson"]["booking_id"]

    await hass.services.async_call(
        DOMAIN,
        "set_stay_override",
        {"unit": "calendar.seaside_loft", "stay": "next", "check_in": "2026-11-23 13:00:00"},
        blocking=True,
    )
    stays = (await call(hass, "get_stays", booking=response["booking_id"]))["stays"]
    assert stays[0]["start"] == "2026-11-23T13:00:00+01:00"

    for data, key in (
        ({}, "booking_or_unit"),
        ({"unit": "calendar.seaside_loft", "booking": response["booking_id"]}, "booking_or_unit"),
        ({"unit": "lock.seaside_loft_front_door"}, "not_a_lockbridge_unit"),
    ):
        with pytest.raises(ServiceValidationError) as info:
            await call(hass, "regenerate_code", **data)
        assert info.value.translation_key == key


async def test_an_empty_unit_says_so(hass: HomeAssistant, demo: Demo) -> None:
    await set_up(hass, demo.entry())
    stays = (await call(hass, "get_stays", start="2026-11-01", end="2027-12-31"))["stays"]
    busy = {stay["unit"] for stay in stays if stay["start"] <= "2026-11-23T10:00"}
    empty = next(
        e
        for e in hass.states.async_entity_ids("calendar")
        if hass.states.get(e).attributes.get("friendly_name") not in busy  # type: ignore[union-attr]
    )
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "regenerate_code", unit=empty, stay="current")
    assert info.value.translation_key == "no_current_stay"


async def test_a_lock_with_two_keypads_asks_which(hass: HomeAssistant, demo: Demo) -> None:
    demo.thekeys.add_lock(3799, "Gate", keypads=[("KpA00001", "Street"), ("KpB00002", "Garage")])
    await set_up(hass, demo.entry())
    good = {"name": "Gardener", "start": "2026-11-24 08:00", "end": "2026-11-24 18:00"}
    lock = next(e for e in hass.states.async_entity_ids("lock") if e.startswith("lock.gate"))
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "create_code", lock=lock, **good)
    assert info.value.translation_key == "keypad_required"
    assert "Street, Garage" in str(info.value)
    await call(hass, "create_code", lock=lock, keypad="garage", **good)
    assert [c.id_accessoire for c in demo.thekeys.codes(3799)] == ["KpB00002"]


async def test_create_code_strips_control_characters_and_bounds_the_name(
    hass: HomeAssistant, demo: Demo
) -> None:
    """A pasted name cannot break a line, hide as NUL or read backwards on the keypad's page."""
    await set_up(hass, demo.entry())
    window = {"lock": LOCK, "start": "2026-11-24 08:00", "end": "2026-11-25 08:00"}
    typed = (
        "\u202eTech\u202c\x00 Plumber\n\tAnna\r\u2066Mé\u0301dé\u2069\x85\x1b[31m"
        + "\u2067ok\u202a\u202b\u202d\u2068 👨\u200d👩\u200d👧"
    )

    response = await call(hass, "create_code", **window, name=typed)

    [code] = [c for c in demo.thekeys.codes(3701) if str(c.id) == response["code_id"]]
    assert code.name == "Tech Plumber Anna Mé\u0301dé [31mok 👨\u200d👩\u200d👧"
    assert response["name"] == code.name

    long_name = "Électricien " + "Rene\u0301e " * 20  # an accent at every cut
    response = await call(hass, "create_code", **window, name=long_name)
    [code] = [c for c in demo.thekeys.codes(3701) if str(c.id) == response["code_id"]]
    assert len(code.name) <= NAME_MAX
    assert long_name.startswith(code.name)
    assert not unicodedata.combining(long_name[len(code.name)])

    with pytest.raises(vol.Invalid):  # nothing left of the name
        await call(hass, "create_code", **window, name="\n\t\u202e\x00 ")
