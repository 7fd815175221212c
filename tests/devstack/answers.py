"""How the dev stack answers LockBridge's forms over the REST API, as a host fills them in."""

from __future__ import annotations

from typing import Any

from custom_components.lockbridge.const import (
    CONF_CHECK_OUT,
    CONF_DOORS,
    CONF_KEYPAD,
    CONF_LANGUAGE,
    CONF_NAME,
    CONF_PERMANENT,
    CONF_PIN,
    CONF_ROLE,
    CONF_TURNOVER,
    CONF_UNIT_IDS,
    NOT_MANAGED,
)
from custom_components.lockbridge.sources.ical_flow import (
    CONF_PATTERNS,
    CONF_PLATFORM,
    CONF_UNIT,
    CONF_URL as CONF_FEED_URL,
)
from tests.fakes.demo import IcalFeedSeed, StaffSeed

from .hass_api import Answer, HassApiError

#: Airbnb's default check-out time, which a host of an Airbnb-only unit keeps.
AIRBNB_CHECK_OUT = "11:00:00"


def answers(doors: dict[str, tuple[str, ...]] | None = None, /, **values: Any) -> Answer:
    """Answer the account and source forms with ``values``, and every unit form as a host would.

    A unit gets the keypad whose label names it (the demo's locks are named after their units),
    its other ``doors`` (by unit name; the building door) and the default check-in and
    check-out times.
    """

    def answer(step_id: str, form: dict[str, Any]) -> dict[str, Any]:
        if form["type"] == "menu":  # after the account: its sources are added one by one
            return {"next_step_id": "add_later"}
        fields = form["data_schema"]
        data = {field["name"]: field["default"] for field in fields if "default" in field}
        if step_id != "unit":
            return data | {key: value for key, value in values.items() if _has(fields, key)}
        unit = form["description_placeholders"]["unit"]
        keypad = next(field for field in fields if field["name"] == CONF_KEYPAD)
        options = keypad["selector"]["select"]["options"]
        data[CONF_KEYPAD] = next(
            (option["value"] for option in options if unit in option["label"]), NOT_MANAGED
        )
        if extra := (doors or {}).get(unit):
            offered = {option["value"] for option in options}
            missing = set(extra) - offered
            if missing or not _has(fields, CONF_DOORS):
                raise HassApiError(f"the unit form of {unit} offers no door {sorted(missing)}")
            data[CONF_DOORS] = list(extra)
        return data

    return answer


def staff_answer(member: StaffSeed) -> Answer:
    """Answer the staff form for `member`: its units picked by name among those offered."""

    def answer(step_id: str, form: dict[str, Any]) -> dict[str, Any]:
        fields = form["data_schema"]
        units = next(field for field in fields if field["name"] == CONF_UNIT_IDS)
        offered = {o["label"]: o["value"] for o in units["selector"]["select"]["options"]}
        wanted = list(offered) if member.units is None else list(member.units)
        if missing := [name for name in wanted if name not in offered]:
            raise HassApiError(f"the staff form of {member.name} offers no unit {missing}")
        data: dict[str, Any] = {
            CONF_NAME: member.name,
            CONF_ROLE: member.role,
            CONF_UNIT_IDS: [offered[name] for name in wanted],
            CONF_DOORS: [],
            CONF_TURNOVER: member.turnover,
            CONF_PERMANENT: member.permanent,
        }
        if member.pin:
            data[CONF_PIN] = member.pin
        if member.language:
            data[CONF_LANGUAGE] = member.language
        return data

    return answer


def _has(fields: list[dict[str, Any]], key: str) -> bool:
    return any(field["name"] == key for field in fields)


def ical_answer(
    base_url: str, feeds: tuple[IcalFeedSeed, ...], doors: dict[str, tuple[str, ...]]
) -> Answer:
    """Answer the iCal flow: each feed (served under `base_url`), then its units' forms.

    A feed on loopback http is read, then warned about (the "http_warning" step, confirmed);
    the feeds menu adds the next feed, then goes on to the units. An Airbnb unit keeps
    Airbnb's check-out time.
    """
    pending = list(feeds)
    platforms = {feed.unit: feed.platform for feed in feeds}
    units = answers(doors)

    def answer(step_id: str, form: dict[str, Any]) -> dict[str, Any]:
        if step_id == "feeds":
            return {"next_step_id": "feed" if pending else "done"}
        if step_id == "feed":
            feed = pending.pop(0)
            return {
                CONF_FEED_URL: base_url + feed.path,
                CONF_PLATFORM: feed.platform,
                CONF_UNIT: feed.unit,
                CONF_PATTERNS: {},
            }
        if step_id == "http_warning":
            return {}
        data = units(step_id, form)
        unit = str((form.get("description_placeholders") or {}).get("unit", ""))
        if step_id == "unit" and platforms.get(unit) == "airbnb":
            data[CONF_CHECK_OUT] = AIRBNB_CHECK_OUT
        return data

    return answer
