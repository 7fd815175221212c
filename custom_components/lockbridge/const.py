"""Constants of the LockBridge integration: keys, defaults, event names."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "lockbridge"
LOGGER = logging.getLogger(__package__)

#: The Keys cloud address; changed in the forms' folded "Server" section (the simulators use it).
CONF_THEKEYS_URL: Final = "thekeys_url"
#: The form section that holds a cloud's server address (folded away).
CONF_SERVER: Final = "server"

# --- booking-source subentries (each source's own keys are in its module) ----------------
#: unit id -> {name, keypad ("<lock id>/<keypad id>" or None), check_in, check_out}
CONF_UNITS: Final = "units"
CONF_KEYPAD: Final = "keypad"
CONF_CHECK_IN: Final = "check_in"
CONF_CHECK_OUT: Final = "check_out"
NOT_MANAGED: Final = "not_managed"
#: A unit's other doors (a building door, a shared entrance): keypads as CONF_KEYPAD names them.
CONF_DOORS: Final = "doors"
#: What to do with the codes of guests in the house when their unit's keypad changes.
CONF_KEEP_CODES: Final = "keep_codes"
KEEP_UNTIL_CHECK_OUT: Final = "keep_until_check_out"
REMOVE_NOW: Final = "remove_now"

# --- staff subentries (subentry type STAFF) ----------------------------------------------
SUBENTRY_STAFF: Final = "staff"
CONF_NAME: Final = "name"
CONF_ROLE: Final = "role"
#: The units (their unique ids) whose doors the member opens.
CONF_UNIT_IDS: Final = "unit_ids"
CONF_PIN: Final = "pin"
CONF_TURNOVER: Final = "turnover"
CONF_TURNOVER_START: Final = "turnover_start"
CONF_TURNOVER_END: Final = "turnover_end"
CONF_PERMANENT: Final = "permanent"
CONF_LANGUAGE: Final = "language"

# --- options ----------------------------------------------------------------------------
CONF_PIN_LENGTH: Final = "pin_length"
CONF_PIN_METHOD: Final = "pin_method"
CONF_NAME_PREFIX: Final = "name_prefix"
CONF_BUFFER_BEFORE: Final = "buffer_before"
CONF_BUFFER_AFTER: Final = "buffer_after"
CONF_HORIZON: Final = "horizon_days"
CONF_GRACE: Final = "cleanup_grace_hours"
CONF_USE_BOOKING_TIMES: Final = "use_booking_times"
CONF_LOCKS_INTERVAL: Final = "locks_interval"
#: Hours after check-in with no guest seen at the door before "not arrived" is told.
CONF_NOT_ARRIVED_AFTER: Final = "not_arrived_after_hours"

DEFAULT_CHECK_IN: Final = "15:00:00"
DEFAULT_CHECK_OUT: Final = "12:00:00"
DEFAULTS: Final[dict[str, object]] = {
    CONF_PIN_LENGTH: 4,
    CONF_PIN_METHOD: "random",
    CONF_NAME_PREFIX: "",
    CONF_BUFFER_BEFORE: 0,
    CONF_BUFFER_AFTER: 0,
    CONF_HORIZON: 90,
    CONF_GRACE: 24,
    CONF_USE_BOOKING_TIMES: False,
    CONF_LOCKS_INTERVAL: 5,
    CONF_NOT_ARRIVED_AFTER: 3,
}

#: A source that failed this many polls in a row raises "sync problem".
FAILURES_BEFORE_PROBLEM: Final = 3
#: The longest a source's "retry after" may hold its polling: a bad or epoch-confused header
#: must not stop a source for days.
MAX_SOURCE_RETRY_AFTER: Final = 3600.0

# --- a refused The Keys login (login_guard.py) -----------------------------------------
#: Clouds refuse logins transiently: after a refusal the login is tried again after these
#: delays (the last one repeats), or at the next periodic sync when that comes sooner; the
#: sync goes on meanwhile with the codes it has.
LOGIN_RETRY_DELAYS: Final = (
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=10),
    timedelta(minutes=15),
    timedelta(minutes=30),
)
#: Reauth (the host types the password again) starts only once every login was refused for
#: at least this long, and at least REAUTH_AFTER_REFUSALS times in a row; one success resets.
REAUTH_AFTER_REFUSED_FOR: Final = timedelta(hours=1)
REAUTH_AFTER_REFUSALS: Final = 4

# --- events -----------------------------------------------------------------------------
EVENT_CODE_CREATED: Final = "lockbridge_code_created"
EVENT_CODE_UPDATED: Final = "lockbridge_code_updated"
EVENT_CODE_REMOVED: Final = "lockbridge_code_removed"
EVENT_CODE_FAILED: Final = "lockbridge_code_failed"
#: A staff member's code was made or moved to a new window / removed (never its PIN).
EVENT_ACCESS_GRANTED: Final = "lockbridge_access_granted"
EVENT_ACCESS_REVOKED: Final = "lockbridge_access_revoked"
EVENT_CHECKED_IN: Final = "lockbridge_guest_checked_in"
EVENT_NOT_ARRIVED: Final = "lockbridge_guest_not_arrived"
EVENT_EARLY: Final = "lockbridge_guest_early"

# --- actions ----------------------------------------------------------------------------
SERVICE_CREATE_CODE: Final = "create_code"
SERVICE_REMOVE_CODE: Final = "remove_code"
SERVICE_REGENERATE_CODE: Final = "regenerate_code"
SERVICE_SET_STAY_OVERRIDE: Final = "set_stay_override"
SERVICE_SYNC: Final = "sync"
SERVICE_GET_STAYS: Final = "get_stays"
SERVICE_SEND_GUEST_MESSAGE: Final = "send_guest_message"
SERVICE_MARK_CHECKED_IN: Final = "mark_checked_in"
SERVICE_SET_HOUSEKEEPING: Final = "set_housekeeping"
SERVICE_READ_ACTIVITY: Final = "read_activity"
SERVICE_GRANT_ACCESS: Final = "grant_access"
SERVICE_REVOKE_ACCESS: Final = "revoke_access"
SERVICE_GET_ACCESS: Final = "get_access"

# --- cloud outages ----------------------------------------------------------------------
#: A cloud unreadable this long while a guest is due raises a repair (the card says it at once).
OUTAGE_REPAIR_AFTER: Final = timedelta(minutes=30)
#: "A guest is due": a stay whose check-in falls within this much from now.
ARRIVAL_DUE_WITHIN: Final = timedelta(hours=24)

# --- the guest at the door (activity/) --------------------------------------------------
#: How often the locks where a guest is due, and not yet seen, have their activity read.
ACTIVITY_EVERY: Final = timedelta(minutes=5)
#: Once every guest a lock waits for is late, it is read this often (until their day ends).
LATE_EVERY: Final = timedelta(minutes=15)
#: Locks with a guest due today or tomorrow have their keypads' health read this often (the
#: repair waits for a keypad unseen for a day: a few reads a day tell it).
HEALTH_EVERY: Final = timedelta(hours=3)
#: At most this many locks read per round (the longest-unread first): a bound on requests.
ACTIVITY_MAX_LOCKS: Final = 60
#: A keypad the cloud has not seen for this long, while a guest is due, raises a repair.
KEYPAD_UNSEEN_AFTER: Final = timedelta(hours=24)
#: A battery at or under this percent raises a repair; it clears above the second.
BATTERY_LOW: Final = 20
BATTERY_OK: Final = 25
