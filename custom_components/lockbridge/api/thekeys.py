"""Async client for The Keys cloud API (locks, keypads and their access codes).

The API is undocumented; every shape here follows thekeys-api.md, and fields whose format
is uncertain there are parsed tolerantly (see ``_parse``). The login, token and envelope are
in ``_thekeys_http``, the answers' parsing in ``_thekeys_parse``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ._parse import as_dict, as_int, as_str
from ._thekeys_activity import LockActivity, parse_activity
from ._thekeys_http import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    TOKEN_ROUNDS,
    Offload,
    TheKeysSession,
)
from ._thekeys_parse import code_form, codes_parser, parse_account, parse_lock
from .errors import InvalidResponseError
from .models import AccessCode, Account, CodeFields, Lock

# Imported from here by the integration and the tests.
__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "TOKEN_ROUNDS", "Offload", "TheKeysClient"]


class TheKeysClient(TheKeysSession):
    """One The Keys account. Reuses its token and shares re-logins among concurrent calls."""

    # --- locks ------------------------------------------------------------------------

    async def get_account(self) -> Account:
        """The account's user id and its locks with their keypads."""
        what = "The Keys account"
        return await self._read(
            "utilisateur",
            "get",
            self._username,
            what=what,
            parse=lambda data: parse_account(data, self._username),
        )

    async def get_lock(self, lock_id: int) -> Lock:
        """One lock, freshly read (state, battery)."""
        what = f"The Keys lock {lock_id}"
        lock = parse_lock(await self._api("GET", "serrure", "get", str(lock_id), what=what))
        if lock is None:
            raise InvalidResponseError(f"{what}: unreadable lock")
        return lock

    async def get_activity(self, lock_id: int, zone: ZoneInfo) -> LockActivity:
        """A lock's newest activity (`logs[]`), state, battery and keypads last seen.

        `zone` is the lock's: log stamps without one are read in it.
        """
        what = f"The Keys activity of lock {lock_id}"
        now = datetime.now(UTC)
        return await self._read(
            "serrure",
            "get",
            str(lock_id),
            what=what,
            parse=lambda data: parse_activity(data, lock_id, zone, now),
        )

    async def open_lock(self, lock_id: int) -> None:
        """Open remotely through the cloud (needs a gateway; single-source endpoint)."""
        await self._api(
            "POST",
            "serrure",
            "remote_open",
            str(lock_id),
            what=f"The Keys open lock {lock_id}",
            data={"_format": "json"},
            allow_null=True,
        )

    async def close_lock(self, lock_id: int) -> None:
        """Close remotely through the cloud (needs a gateway; single-source endpoint)."""
        await self._api(
            "POST",
            "serrure",
            "remote_close",
            str(lock_id),
            what=f"The Keys close lock {lock_id}",
            data={"_format": "json"},
            allow_null=True,
        )

    # --- codes ------------------------------------------------------------------------

    async def list_codes(
        self, lock_id: int, keypad_id: str | None = None
    ) -> tuple[AccessCode, ...]:
        """Keypad codes of a lock: of one keypad, or of all its keypads.

        The listing mixes in gateway and remote shares, whose `code` is a secret key, not
        a PIN; they are left out. An unreadable listing raises rather than looking empty,
        so that nobody mistakes it for "no codes".
        """
        what = f"The Keys codes of lock {lock_id}"
        codes = await self._read(
            "partage", "all", "serrure", str(lock_id), what=what, parse=codes_parser(lock_id, what)
        )
        if keypad_id is None:
            return codes
        return tuple(code for code in codes if code.keypad_id == keypad_id)

    async def create_code(self, lock_id: int, keypad_id: str, fields: CodeFields) -> AccessCode:
        """Create a code on a keypad (`keypad_id` is the label id `id_accessoire`)."""
        what = f"The Keys create code on lock {lock_id}"
        data = as_dict(
            await self._api(
                "POST",
                "partage",
                "create",
                str(lock_id),
                "accessoire",
                keypad_id,
                what=what,
                data=code_form(fields),
                hide=fields.pin,
            )
        )
        code_id = as_int(data.get("id"))
        if code_id is None:
            raise InvalidResponseError(f"{what}: the answer has no code id")
        return AccessCode(
            id=code_id,
            lock_id=lock_id,
            keypad_id=keypad_id,
            name=fields.name,
            pin=as_str(data.get("code")) or fields.pin,
            start_date=fields.start_date,
            end_date=fields.end_date,
            start_time=fields.start_time,
            end_time=fields.end_time,
            description=fields.description,
            active=fields.active,
            notify=fields.notify,
        )

    async def update_code(self, code: AccessCode) -> None:
        """Re-submit every field of a code (Symfony form: omitted fields would be cleared).

        Pass the listed code with the fields to change replaced; its PIN is sent as is.
        """
        await self._api(
            "POST",
            "partage",
            "accessoire",
            "update",
            str(code.id),
            what=f"The Keys update code {code.id}",
            data=code_form(code),
            allow_null=True,
            hide=code.pin,
        )

    async def delete_code(self, code_id: int) -> None:
        """Delete a code."""
        await self._api(
            "POST",
            "partage",
            "accessoire",
            "delete",
            str(code_id),
            what=f"The Keys delete code {code_id}",
            allow_null=True,
        )
