"""One error hierarchy for the three cloud clients.

Messages never contain credentials: clients scrub every known secret from text they
take from a response before it reaches an exception (see ``_http.Scrubber``).
"""

from __future__ import annotations


class ApiError(Exception):
    """Base of every error raised by the LockBridge cloud clients."""

    #: Worth retrying later with the same request (network, server or rate-limit trouble).
    transient: bool = False


class AuthenticationError(ApiError):
    """Credentials were refused (bad password, key, secret or token)."""


class CommunicationError(ApiError):
    """The cloud could not be reached, or answered with a server error."""

    transient = True


class ApiTimeoutError(CommunicationError):
    """The cloud did not answer in time."""


class RateLimitedError(ApiError):
    """The cloud (or our own request budget) asks us to wait."""

    transient = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        #: Seconds to wait before the next request, when known.
        self.retry_after = retry_after


class BudgetExhaustedError(RateLimitedError):
    """Our local request budget refused the request before it was sent."""


class InvalidResponseError(ApiError):
    """The cloud answered something we cannot read (malformed JSON, wrong shape)."""

    transient = True


class WrongAddressError(ApiError):
    """A server answers at this address, but not the cloud's API (no login route there)."""


class NotFoundError(ApiError):
    """The lock, code, booking or resource does not exist for this account."""


class RequestRejectedError(ApiError):
    """The cloud refused the request as invalid (validation error, conflicting PIN...)."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        #: Field name -> validation messages, when the cloud gave them.
        self.fields = fields or {}


class PlaceholderExistsError(RequestRejectedError):
    """Smoobu refused to create a custom placeholder: that key already exists for the target."""

    def __init__(self, message: str, placeholder_id: int | None = None) -> None:
        super().__init__(message)
        #: The existing placeholder's id, to update it instead.
        self.placeholder_id = placeholder_id


class ListingIncompleteError(InvalidResponseError):
    """A listing was cut short by one of our bounds (time, size); `read` holds what was read.

    An InvalidResponseError, so that a caller unaware of it fails as on a broken answer; one
    that knows may use `read`, as long as it never takes a missing item for a removed one.
    """

    def __init__(self, message: str, read: tuple[object, ...]) -> None:
        super().__init__(message)
        self.read = read
