"""The account config flow against The Keys simulator, over real HTTP."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.lockbridge.config_flow import insecure_address, normalise_phone
from custom_components.lockbridge.const import CONF_SERVER, CONF_THEKEYS_URL, DOMAIN
from tests.conftest import TK_PASSWORD, TK_USERNAME, server
from tests.fakes import TheKeysSimulator


@pytest.fixture(autouse=True)
def custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load LockBridge from custom_components."""


async def past_the_menu(
    hass: HomeAssistant, result: ConfigFlowResult, choice: str = "add_later"
) -> ConfigFlowResult:
    """After the account, the menu of what comes next: answer it."""
    assert result["type"] is FlowResultType.MENU, result.get("errors")
    assert result["step_id"] == "next"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": choice}
    )


async def start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result["flow_id"]


async def test_user_step_creates_entry(hass: HomeAssistant, thekeys_url: str) -> None:
    flow_id = await start(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_USERNAME: "+33 6 11 22 33 44",
            CONF_PASSWORD: TK_PASSWORD,
            **server(CONF_THEKEYS_URL, thekeys_url),
        },
    )
    assert result["description_placeholders"] == {"name": "Jean Dupont", "locks": "2"}
    result = await past_the_menu(hass, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Jean Dupont"  # the account's holder, never the phone number
    assert "next_flow" not in result
    assert result["data"] == {
        CONF_USERNAME: TK_USERNAME,
        CONF_PASSWORD: TK_PASSWORD,
        CONF_THEKEYS_URL: thekeys_url,
    }
    assert result["result"].unique_id == "42"


async def test_the_server_address_is_folded_away_and_not_stored_by_default(
    hass: HomeAssistant, thekeys_url: str
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    assert set(schema) == {CONF_USERNAME, CONF_PASSWORD, CONF_SERVER}
    assert isinstance(schema[CONF_SERVER], section)
    assert schema[CONF_SERVER].options == {"collapsed": True}
    assert set(schema[CONF_SERVER].schema.schema) == {CONF_THEKEYS_URL}

    # The section comes back with the default address when the host leaves it alone; it
    # is not stored, so a later change of the default reaches the entry.
    with (
        patch("custom_components.lockbridge.config_flow.THEKEYS_URL", thekeys_url),
        patch("custom_components.lockbridge.clients.THEKEYS_URL", thekeys_url),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_USERNAME: TK_USERNAME,
                CONF_PASSWORD: TK_PASSWORD,
                **server(CONF_THEKEYS_URL, thekeys_url + "/"),
            },
        )
        result = await past_the_menu(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_USERNAME: TK_USERNAME, CONF_PASSWORD: TK_PASSWORD}


async def test_errors_are_shown_and_recoverable(
    hass: HomeAssistant, thekeys_url: str, thekeys_sim, unused_tcp_port: int
) -> None:
    flow_id = await start(hass)
    good = {
        CONF_USERNAME: TK_USERNAME,
        CONF_PASSWORD: TK_PASSWORD,
        **server(CONF_THEKEYS_URL, thekeys_url),
    }

    result = await hass.config_entries.flow.async_configure(
        flow_id, {**good, CONF_USERNAME: "0611223344"}
    )
    assert result["errors"] == {CONF_USERNAME: "invalid_phone"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {**good, CONF_PASSWORD: "nope"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {**good, **server(CONF_THEKEYS_URL, f"http://127.0.0.1:{unused_tcp_port}")}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    # A server that answers, but is not The Keys (no login there): not a password problem.
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**good, **server(CONF_THEKEYS_URL, thekeys_url + "/not-here")}
    )
    assert result["errors"] == {"base": "wrong_address"}

    with patch(
        "custom_components.lockbridge.api.thekeys.TheKeysClient.get_account",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(flow_id, good)
    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(flow_id, good)
    assert (await past_the_menu(hass, result))["type"] is FlowResultType.CREATE_ENTRY


async def test_an_account_without_a_name_is_never_titled_with_its_phone(
    hass: HomeAssistant, thekeys_url: str, thekeys_sim: TheKeysSimulator
) -> None:
    thekeys_sim.firstname, thekeys_sim.lastname = None, "  "
    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_USERNAME: TK_USERNAME,
            CONF_PASSWORD: TK_PASSWORD,
            **server(CONF_THEKEYS_URL, thekeys_url),
        },
    )
    result = await past_the_menu(hass, result)
    assert result["title"] == "The Keys account"


async def test_same_account_twice_aborts(hass: HomeAssistant, thekeys_url: str) -> None:
    MockConfigEntry(domain=DOMAIN, unique_id="42", data={}).add_to_hass(hass)
    flow_id = await start(hass)

    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            CONF_USERNAME: TK_USERNAME,
            CONF_PASSWORD: TK_PASSWORD,
            **server(CONF_THEKEYS_URL, thekeys_url),
        },
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_an_abandoned_setup_does_not_block_a_new_one(
    hass: HomeAssistant, thekeys_url: str
) -> None:
    account = {
        CONF_USERNAME: TK_USERNAME,
        CONF_PASSWORD: TK_PASSWORD,
        **server(CONF_THEKEYS_URL, thekeys_url),
    }
    abandoned = await start(hass)
    result = await hass.config_entries.flow.async_configure(abandoned, account)
    assert result["type"] is FlowResultType.MENU  # then the tab is closed

    flow_id = await start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, account)
    result = await past_the_menu(hass, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "42"
    # The one left open is gone with it: it cannot make the same account twice.
    assert [f["flow_id"] for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)] == []


def entry_for(url: str, password: str = TK_PASSWORD, unique_id: str = "42") -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=unique_id,
        title=TK_USERNAME,
        data={CONF_USERNAME: TK_USERNAME, CONF_PASSWORD: password, CONF_THEKEYS_URL: url},
    )


async def test_reauth_updates_the_password(hass: HomeAssistant, thekeys_url: str) -> None:
    entry = entry_for(thekeys_url, password="old-password")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: TK_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_PASSWORD] == TK_PASSWORD


async def test_reauth_refuses_another_account(hass: HomeAssistant, thekeys_url: str) -> None:
    entry = entry_for(thekeys_url, unique_id="99")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: TK_PASSWORD}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0612345678", None),
        ("+0612345678", None),
        ("hello", None),
    ],
)
def test_normalise_phone(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


#: A documentation address (TEST-NET-1): never connected to, the check refuses it first.
PLAIN_HTTP = "http://192.0.2.1"


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://api.the-keys.fr", False),
        ("HTTPS://api.the-keys.fr/", False),
        ("http://127.0.0.1:8123", False),
        ("http://127.8.9.10", False),
        ("http://localhost:9000/thekeys", False),
        ("http://[::1]:9000", False),
        ("http://api.the-keys.fr", True),
        ("http://192.0.2.1", True),
        ("http://[2001:db8::1]", True),
        ("http://localhost.example.com", True),
        ("ftp://127.0.0.1", True),
        ("api.the-keys.fr", True),
        ("http://", True),
    ],
)
def test_only_https_or_loopback_addresses_are_taken(url: str, refused: bool) -> None:
    assert insecure_address(url) is refused


async def test_a_plain_http_address_is_refused_before_the_password_is_sent(
    hass: HomeAssistant, thekeys_url: str, thekeys_sim: TheKeysSimulator
) -> None:
    flow_id = await start(hass)
    typed = {CONF_USERNAME: TK_USERNAME, CONF_PASSWORD: TK_PASSWORD}

    result = await hass.config_entries.flow.async_configure(
        flow_id, {**typed, **server(CONF_THEKEYS_URL, PLAIN_HTTP)}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_https"}
    # The simulator on loopback http is still taken (every other test uses it).
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**typed, **server(CONF_THEKEYS_URL, thekeys_url)}
    )
    assert result["type"] is FlowResultType.MENU
    assert thekeys_sim.count("/api/login_check") == 1


async def test_reconfigure_and_reauth_refuse_a_plain_http_address(
    hass: HomeAssistant, thekeys_url: str, thekeys_sim: TheKeysSimulator
) -> None:
    entry = entry_for(thekeys_url)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_USERNAME: TK_USERNAME,
            CONF_PASSWORD: TK_PASSWORD,
            **server(CONF_THEKEYS_URL, PLAIN_HTTP),
        },
    )
    assert result["errors"] == {"base": "not_https"}
    assert entry.data[CONF_THEKEYS_URL] == thekeys_url

    # An entry saved with such an address before: reauth does not send it the new password.
    old = entry_for(PLAIN_HTTP, unique_id="43")
    old.add_to_hass(hass)
    result = await old.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: TK_PASSWORD}
    )
    assert result["errors"] == {"base": "not_https"}
    assert thekeys_sim.count("/api/login_check") == 0
