"""The Keys answers into models, and codes into the cloud's form.

Shapes follow thekeys-api.md; fields whose format is uncertain there are read tolerantly
(see ``_parse``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._parse import as_bool, as_dict, as_int, as_list, as_opt_str, as_str, parse_date, parse_time
from .errors import InvalidResponseError
from .models import AccessCode, Account, CodeFields, Keypad, Lock, LockState

ACCESSORY_GATEWAY = 1
ACCESSORY_KEYPAD = 2
ACCESSORY_REMOTE = 3
#: A name part longer than this is cut (it titles the entry and the account's device).
MAX_NAME_PART = 60


def parse_account(data: Any, username: str) -> Account:
    """The account's user id and its locks with their keypads."""
    what = "The Keys account"
    serrures = data.get("serrures") if isinstance(data, dict) else None
    if not isinstance(serrures, list):
        # Never report "no locks" from an answer we could not read.
        raise InvalidResponseError(f"{what}: unexpected answer shape")
    locks = tuple(lock for raw in serrures if (lock := parse_lock(raw)) is not None)
    # firstname/lastname are seen in every known answer, but may be empty or missing.
    name = " ".join(
        part[:MAX_NAME_PART] for key in ("firstname", "lastname") if (part := as_str(data.get(key)))
    )
    return Account(as_int(data.get("id")), username, locks, name)


def error_messages(message: Any) -> tuple[str, dict[str, list[str]]]:
    """Flatten Symfony's `message: {global: [...], form: {field: [...]}}` into text + fields."""
    if isinstance(message, str):
        return message, {}
    message = as_dict(message)
    texts = [as_str(item) for item in as_list(message.get("global")) if as_str(item)]
    fields: dict[str, list[str]] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(node, list):
            errors = [as_str(item) for item in node if isinstance(item, str) and item.strip()]
            if errors:
                fields.setdefault(prefix or "form", []).extend(errors)
            for item in node:
                if isinstance(item, dict | list):
                    walk(item, prefix)
        elif isinstance(node, str) and node.strip():
            fields.setdefault(prefix or "form", []).append(node.strip())

    walk(message.get("form"), "")
    texts.extend(f"{name}: {', '.join(errors)}" for name, errors in fields.items())
    return "; ".join(texts), fields


def parse_lock(raw: Any) -> Lock | None:
    """A lock and its keypads, or None without an id."""
    lock = as_dict(raw)
    lock_id = as_int(lock.get("id"))
    if lock_id is None:
        return None
    keypads: list[Keypad] = []
    has_gateway = False
    for item in as_list(lock.get("accessoires")):
        accessory = as_dict(as_dict(item).get("accessoire"))
        kind = as_int(accessory.get("type"))
        label = as_str(accessory.get("id_accessoire"))
        if kind == ACCESSORY_GATEWAY:
            has_gateway = True
        # Type 2 is a keypad (jeedom); an accessory of unknown type is offered too, so the
        # user can still pick it when the cloud omits the type.
        elif label and kind in (ACCESSORY_KEYPAD, None):
            keypads.append(
                Keypad(label, as_str(accessory.get("nom")) or label, as_int(accessory.get("id")))
            )
    etat = as_str(lock.get("etat")).lower()
    # jeedom maps "open" to unlocked and any other value to locked; the closed value is a guess.
    state = (
        LockState.UNKNOWN
        if not etat
        else (LockState.UNLOCKED if etat == "open" else LockState.LOCKED)
    )
    return Lock(
        id=lock_id,
        name=as_str(lock.get("nom")) or f"Lock {lock_id}",
        timezone=as_opt_str(lock.get("timezone")),
        state=state,
        battery_raw=as_int(lock.get("battery")),
        keypads=tuple(keypads),
        has_gateway=has_gateway,
        serial=as_opt_str(lock.get("id_serrure")),
        model=as_opt_str(as_dict(lock.get("produit")).get("nom")),
        firmware=as_opt_str(lock.get("version")),
    )


def codes_parser(lock_id: int, what: str) -> Callable[[Any], tuple[AccessCode, ...]]:
    """The parser of a lock's listing: its keypad codes, shares of other kinds left out."""

    def parse(data: Any) -> tuple[AccessCode, ...]:
        shares = data.get("partages_accessoire") if isinstance(data, dict) else None
        if not isinstance(shares, list):
            raise InvalidResponseError(f"{what}: unexpected answer shape")
        return tuple(code for raw in shares if (code := parse_code(raw, lock_id)) is not None)

    return parse


def parse_code(raw: Any, lock_id: int) -> AccessCode | None:
    """A keypad code of a lock's listing; None for other shares, and without an id."""
    share = as_dict(raw)
    accessory = as_dict(share.get("accessoire"))
    code_id = as_int(share.get("id"))
    keypad_id = as_str(accessory.get("id_accessoire"))
    if code_id is None or not keypad_id:
        return None
    if as_int(accessory.get("type")) in (ACCESSORY_GATEWAY, ACCESSORY_REMOTE):
        return None
    return AccessCode(
        id=code_id,
        lock_id=lock_id,
        keypad_id=keypad_id,
        name=as_str(share.get("nom")),
        pin=as_str(share.get("code")),
        start_date=parse_date(share.get("date_debut")),
        end_date=parse_date(share.get("date_fin")),
        start_time=parse_time(share.get("heure_debut")),
        end_time=parse_time(share.get("heure_fin")),
        description=as_str(share.get("description")),
        active=as_bool(share.get("actif")),
        notify=as_bool(share.get("notification_enabled")),
    )


def code_form(fields: CodeFields) -> dict[str, str]:
    """The full `partage_accessoire[...]` form. Checkboxes are omitted when off."""
    key = "partage_accessoire[{}]".format
    form = {
        key("nom"): fields.name,
        key("code"): fields.pin,
        key("description"): fields.description,
    }
    if fields.active:
        form[key("actif")] = "1"
    if fields.notify:
        form[key("notification_enabled")] = "1"
    if fields.start_date is not None:
        form[key("date_debut")] = fields.start_date.isoformat()
    if fields.end_date is not None:
        form[key("date_fin")] = fields.end_date.isoformat()
    for name, value in (("heure_debut", fields.start_time), ("heure_fin", fields.end_time)):
        if value is not None:
            form[f"partage_accessoire[{name}][hour]"] = str(value.hour)
            form[f"partage_accessoire[{name}][minute]"] = str(value.minute)
    return form
