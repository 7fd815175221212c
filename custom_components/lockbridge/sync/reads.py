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


async def read_locks(
    client: TheKeysClient, data: SyncData, scope: set[int]
) -> tuple[Account, dict[int, tuple[AccessCode, ...]], frozenset[int]]:
    """The locks a change touched, read again; the others as the last sync left them.

    A lock unreadable then stays so (its codes unknown) unless read now. The cloud's own
    state of the locks (battery and all) waits for the timer's whole sync.
    """
    ids = {lock.id for lock in data.account.locks}
    fresh, errors = await read_codes(client, scope & ids)
    if errors and not fresh:
        # Not one listing read: the cloud is down, as a whole sync would say.
        raise next(iter(errors.values()))
    codes = {lock_id: items for lock_id, items in data.codes.items() if lock_id not in errors}
    codes.update(fresh)
    return data.account, codes, frozenset(errors) | (data.unreadable - fresh.keys())
