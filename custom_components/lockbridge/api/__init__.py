"""Async clients for The Keys, Smoobu and HotelRunner. No Home Assistant imports here."""

from ._thekeys_activity import LockActivity, LogAction, LogEntry
from .budget import RequestBudget
from .errors import (
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    BudgetExhaustedError,
    CommunicationError,
    InvalidResponseError,
    ListingIncompleteError,
    NotFoundError,
    PlaceholderExistsError,
    RateLimitedError,
    RequestRejectedError,
    WrongAddressError,
)
from .hotelrunner import HotelRunnerClient
from .models import (
    AccessCode,
    Account,
    CodeFields,
    HotelRunnerReservation,
    HotelRunnerRoom,
    HotelRunnerRoomStay,
    Keypad,
    Lock,
    LockState,
    SmoobuApartment,
    SmoobuMessage,
    SmoobuPlaceholder,
    SmoobuReservation,
    SmoobuUser,
)
from .smoobu import SmoobuClient
from .thekeys import TheKeysClient

__all__ = [
    "AccessCode",
    "Account",
    "ApiError",
    "ApiTimeoutError",
    "AuthenticationError",
    "BudgetExhaustedError",
    "CodeFields",
    "CommunicationError",
    "HotelRunnerClient",
    "HotelRunnerReservation",
    "HotelRunnerRoom",
    "HotelRunnerRoomStay",
    "InvalidResponseError",
    "Keypad",
    "ListingIncompleteError",
    "Lock",
    "LockActivity",
    "LockState",
    "LogAction",
    "LogEntry",
    "NotFoundError",
    "PlaceholderExistsError",
    "RateLimitedError",
    "RequestBudget",
    "RequestRejectedError",
    "SmoobuApartment",
    "SmoobuClient",
    "SmoobuMessage",
    "SmoobuPlaceholder",
    "SmoobuReservation",
    "SmoobuUser",
    "TheKeysClient",
    "WrongAddressError",
]
