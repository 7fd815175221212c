"""A refused The Keys login: retried with backoff while the sync goes on; reauth only later."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.const import DOMAIN
from tests.conftest import TK_PASSWORD
from tests.demo_stack import Demo, set_up, the_state
from tests.test_sources import PROBLEM, ours, tick

LOGIN = "/api/login_check"


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


def reauth_flows(hass: HomeAssistant) -> list[str]:
    return [
        flow["flow_id"]
        for flow in hass.config_entries.flow.async_progress()
        if flow["handler"] == DOMAIN and flow["context"]["source"] == SOURCE_REAUTH
    ]


def problems(hass: HomeAssistant) -> list[str]:
    return list(the_state(hass, PROBLEM).attributes["problems"])


async def refuse_logins(hass: HomeAssistant, demo: Demo) -> MockConfigEntry:
    """The account set up, then its password refused from the next login on."""
    entry = await set_up(hass, demo.entry(hotelrunner=False))
    demo.thekeys.expire_tokens()  # the next cycle must log in
    demo.thekeys.password = "refused-for-now"
    demo.thekeys.clear_log()
    return entry


async def test_one_refused_login_keeps_syncing_and_restores_a_deleted_code(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await refuse_logins(hass, demo)
    coordinator = entry.runtime_data.coordinator
    before = ours(demo)
    gone = next(code for code in demo.thekeys.codes() if code.description)
    demo.thekeys.remove_code(gone.id)  # deleted in the app while the cloud refuses us

    await tick(hass, freezer, 5.1)

    assert demo.thekeys.count(LOGIN) == 1
    assert reauth_flows(hass) == []
    assert entry.state is ConfigEntryState.LOADED
    assert the_state(hass, PROBLEM).state == "on"
    assert problems(hass) == [
        "The Keys refused the password once at 10:05; asking you to sign in again after 11:05"
    ]
    assert coordinator.data.codes  # the last codes read are kept, nothing deleted
    assert demo.thekeys.count("/delete/") == 0

    demo.thekeys.password = TK_PASSWORD  # the cloud takes it again
    await tick(hass, freezer, 1.1)  # the first retry comes after a minute

    assert demo.thekeys.count(LOGIN) == 2
    assert ours(demo) == before  # the deleted code is back
    assert the_state(hass, PROBLEM).state == "off"
    assert reauth_flows(hass) == []


async def test_three_refused_logins_in_an_hour_still_sync_and_show_the_problem(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await refuse_logins(hass, demo)
    coordinator = entry.runtime_data.coordinator
    before = ours(demo)

    await tick(hass, freezer, 5.1)  # refused at 10:05
    await tick(hass, freezer, 0.5)
    await coordinator.async_refresh()  # "Sync now" within the backoff: no login tried
    assert demo.thekeys.count(LOGIN) == 1
    await tick(hass, freezer, 0.6)  # refused again at 10:06 (a minute after)
    await tick(hass, freezer, 2.1)  # and at 10:08 (two minutes after)

    assert demo.thekeys.count(LOGIN) == 3
    assert reauth_flows(hass) == []
    assert the_state(hass, PROBLEM).state == "on"
    assert problems(hass) == [
        "The Keys refused the password 3 times since 10:05; asking you to sign in again after 11:05"
    ]

    gone = next(code for code in demo.thekeys.codes() if code.description)
    demo.thekeys.remove_code(gone.id)
    demo.thekeys.password = TK_PASSWORD
    await tick(hass, freezer, 5.1)  # the next retry, five minutes after

    assert demo.thekeys.count(LOGIN) == 4
    assert ours(demo) == before
    assert the_state(hass, PROBLEM).state == "off"
    assert reauth_flows(hass) == []


async def test_refusals_past_an_hour_start_reauth(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    entry = await refuse_logins(hass, demo)

    minutes = 0.0
    while minutes < 60:  # every login refused, for just under an hour
        await tick(hass, freezer, 5.1)
        minutes += 5.1
        assert reauth_flows(hass) == [], f"reauth after {minutes} minutes"
    assert demo.thekeys.count(LOGIN) >= 10  # the periodic sync kept trying
    await tick(hass, freezer, 5.1)

    assert len(reauth_flows(hass)) == 1
    assert entry.state is ConfigEntryState.LOADED
    assert the_state(hass, PROBLEM).state == "on"
    [problem] = problems(hass)
    assert problem.startswith("The Keys refused the password ")
    assert problem.endswith(" times since 10:05; sign in again to resume the sync")
    # The backoff and the periodic sync bound the logins: no hammering of a refused account.
    assert demo.thekeys.count(LOGIN) <= 15


async def test_refused_at_start_up_retries_then_asks_after_an_hour(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    """Home Assistant retries a failed setup, sooner at first: the backoff still holds."""
    entry = demo.entry(hotelrunner=False)
    demo.thekeys.password = "changed-elsewhere"
    await hass.config.async_set_time_zone("Europe/Paris")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    states = [entry.state]
    assert reauth_flows(hass) == []
    minutes = 0.0
    while minutes < 60:  # Home Assistant's setup retries (at most 10 minutes apart)
        await tick(hass, freezer, 2.9)
        minutes += 2.9
        states.append(entry.state)
        assert reauth_flows(hass) == [], f"reauth after {minutes} minutes"
    assert set(states) == {ConfigEntryState.SETUP_RETRY}
    assert demo.thekeys.count(LOGIN) <= 12  # the backoff holds across setup retries
    for _ in range(4):  # the next setup retry, within ten minutes
        await tick(hass, freezer, 2.9)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert len(reauth_flows(hass)) == 1


async def test_a_network_error_between_refusals_is_not_one(
    hass: HomeAssistant, demo: Demo, freezer: FrozenDateTimeFactory
) -> None:
    await refuse_logins(hass, demo)
    await tick(hass, freezer, 5.1)  # refused at 10:05
    # The retry's logins meet server errors (the client itself tries a second time).
    demo.thekeys.faults.fail_next, demo.thekeys.faults.fail_path = 100, LOGIN

    await tick(hass, freezer, 1.1)

    assert demo.thekeys.count(LOGIN) > 1
    demo.thekeys.faults.reset()
    assert problems(hass) == [
        "The Keys refused the password once at 10:05; asking you to sign in again after 11:05"
    ]
    demo.thekeys.password = TK_PASSWORD
    await tick(hass, freezer, 5.1)  # the periodic sync
    assert the_state(hass, PROBLEM).state == "off"
