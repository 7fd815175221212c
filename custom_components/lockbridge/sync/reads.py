"""The sync's reads of The Keys: the whole account, or only the locks a change touched."""

from __future__ import annotations

import asyncio

from ..api import AccessCode, Account, ApiError, TheKeysClient
from ..engine.apply import read_codes
from .data import SyncData


async def read_account(
    client: TheKeysClient, last: SyncData | None
) -> tuple[Account, dict[int, tuple[AccessCode, ...]], dict[int, ApiError]]:
    """The account, and the codes of each of its locks, in one round trip when steady.

    The locks known from the last cycle are listed while the account is read; a lock
    new to the account is listed after it, one that left it is forgotten.
    """
    known = [lock.id for lock in last.account.locks] if last else []
    account, (codes, errors) = await asyncio.gather(client.get_account(), read_codes(client, known))
    ids = {lock.id for lock in account.locks}
    if new := ids - codes.keys() - errors.keys():
        more, failed = await read_codes(client, new)
        codes.update(more)
        errors.update(failed)
    return (
        account,
        {lock_id: items for lock_id, items in codes.items() if lock_id in ids},
        {lock_id: err for lock_id, err in errors.items() if lock_id in ids},
    )


async def read(
    client: TheKeysClient, last: SyncData | None, scope: set[int] | None
) -> tuple[Account, dict[int, tuple[AccessCode, ...]], frozenset[int], set[int] | None]:
    """The locks of `scope` read again, the others as the last sync left them.

    With no scope (or nothing known yet), the whole account; the scope kept is returned
    too (None: every lock was read). A lock unreadable then stays so (its codes unknown)
    unless read now. The cloud's own state of the locks (battery...) waits for a whole read.
    """
    if scope is not None and last is not None:
        ids = {lock.id for lock in last.account.locks}
        fresh, errors = await read_codes(client, scope & ids)
        if fresh or not errors:
            codes = {
                lock_id: items for lock_id, items in last.codes.items() if lock_id not in errors
            }
            codes.update(fresh)
            unreadable = frozenset(errors) | (last.unreadable - fresh.keys())
            return last.account, codes, unreadable, scope
        # Not one listing read: a whole read tells a cloud down from a lock offline.
    account, codes, errors = await read_account(client, last)
    return account, codes, frozenset(errors), None
