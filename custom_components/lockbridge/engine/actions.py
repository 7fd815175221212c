"""What a plan does to the keypads, and why: actions, the unchanged stays, the plan itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum

from ..api.models import AccessCode, CodeFields
from .bookings import BookingKey, KeypadRef, UnitKey
from .desired import Reason, Stay
from .staff import Grant


class ActionKind(StrEnum):
    """What an action does to the keypad."""

    CREATE = "create"
    UPDATE = "update"
    #: Re-tag a code of the replaced script, keeping its PIN (an update on the wire).
    ADOPT = "adopt"
    DELETE = "delete"


#: Deletions after which the booking needs no PIN any more.
FINAL_REASONS = frozenset(
    {
        Reason.CANCELLED,
        Reason.BLOCKED,
        Reason.UNIT_NOT_MANAGED,
        Reason.ENDED,
    }
)


class Guard(StrEnum):
    """Why a source's codes are not deleted this cycle."""

    SOURCE_FAILED = "source_failed"
    SOURCE_EMPTY = "source_empty"


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One change to one keypad."""

    kind: ActionKind
    reason: Reason
    key: BookingKey
    keypad: KeypadRef
    #: The unit of the stay, when the booking is known.
    unit: UnitKey | None
    #: The code acted on (update, adopt, delete).
    code: AccessCode | None = None
    #: Every field to send (create, update, adopt).
    fields: CodeFields | None = None
    stay: Stay | None = None
    #: The staff rule's code, for a staff code.
    grant: Grant | None = None

    def updated_code(self) -> AccessCode:
        """The code to re-submit for an update or adoption."""
        if self.code is None or self.fields is None:
            raise ValueError("only updates and adoptions re-submit a code")
        values = {item.name: getattr(self.fields, item.name) for item in fields(CodeFields)}
        return AccessCode(
            id=self.code.id, lock_id=self.code.lock_id, keypad_id=self.code.keypad_id, **values
        )

    def __str__(self) -> str:
        code = f" code {self.code.id}" if self.code else ""
        return (
            f"{self.kind} {self.key} on lock {self.keypad.lock_id} keypad "
            f"{self.keypad.keypad_id}{code} ({self.reason})"
        )


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A stay whose code is already right."""

    key: BookingKey
    keypad: KeypadRef
    unit: UnitKey | None


@dataclass(frozen=True, slots=True)
class Plan:
    """The actions of one cycle, and what the cycle learnt."""

    actions: tuple[Action, ...]
    unchanged: tuple[Unchanged, ...]
    #: The PIN memory to keep: every live booking's PIN, including those about to be sent.
    pins: Mapping[BookingKey, str]
    #: Sources whose codes were protected from deletion this cycle, and why.
    guarded: Mapping[str, Guard]
    #: Locks whose codes could not be read: nothing was planned on them.
    unreadable_locks: frozenset[int]
    #: Stays that got no code because their keypad has no acceptable PIN left.
    no_free_pin: Mapping[BookingKey, KeypadRef] = field(default_factory=dict)
    #: Bookings whose PIN a code of ours listed this cycle carries, and keeps after the plan:
    #: the keypad remembers those PINs, the journal's file need not.
    on_keypads: frozenset[BookingKey] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.actions)
