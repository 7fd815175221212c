"""Form pieces the account's flow and every source's flow share: secrets, server addresses."""

from __future__ import annotations

from collections.abc import Mapping
import ipaddress
import re
from typing import TYPE_CHECKING, Any

from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType
from yarl import URL

from .const import CONF_SERVER

if TYPE_CHECKING:
    # Home Assistant types its forms with probatio (2026.9+), which it also installs as
    # `voluptuous`; at run time the import below is probatio there and voluptuous on 2026.8.
    import probatio as vol
else:
    import voluptuous as vol

_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")


def normalise_phone(value: str) -> str | None:
    """+33612345678 from '+33 6 12 34 56 78' or '0033…'; None if not international."""
    phone = re.sub(r"[\s.\-]", "", value).replace("(0)", "")  # +33 (0)6… is +336…
    phone = re.sub(r"[()]", "", phone)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    return phone if _PHONE.match(phone) else None


def password_selector() -> TextSelector:
    """A secret's field (never shown back)."""
    return TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def url_selector() -> TextSelector:
    """A server address's field."""
    return TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def server_section(url_key: str, default: str) -> dict[vol.Marker, Any]:
    """The cloud's address, folded away: only a test setup (the simulator) changes it."""
    fields = vol.Schema({vol.Required(url_key, default=default): url_selector()})
    return {vol.Required(CONF_SERVER): section(fields, {"collapsed": True})}


def unfold_server(answer: Mapping[str, Any], url_key: str, default: str) -> dict[str, Any]:
    """A form's answer with the server section unfolded; the default address is not stored."""
    data = {key: value for key, value in answer.items() if key != CONF_SERVER}
    url = str((answer.get(CONF_SERVER) or {}).get(url_key) or "").strip()
    if url and url.rstrip("/") != default.rstrip("/"):
        data[url_key] = url
    return data


class InsecureAddressError(Exception):
    """A typed server address that is neither https nor loopback."""


def insecure_address(url: str) -> bool:
    """An address that would carry the credentials in clear: not https, nor loopback http.

    Loopback http is for the simulators; any other http address is refused before a
    credential is sent to it.
    """
    try:
        parsed = URL(url.strip())
    except ValueError:
        return True
    if parsed.scheme.lower() == "https":
        return False
    host = (parsed.host or "").lower()
    if parsed.scheme.lower() != "http" or not host:
        return True
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def refuse_insecure(url: str) -> None:
    """Raise InsecureAddressError for such an address (before any credential is sent)."""
    if insecure_address(url):
        raise InsecureAddressError


def server_suggestion(data: Mapping[str, Any], url_key: str, default: str) -> dict[str, Any]:
    """The stored address as the section's suggested value."""
    return {CONF_SERVER: {url_key: data.get(url_key) or default}}
