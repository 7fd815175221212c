"""A realistic demo data set across the simulated clouds, relative to a given day."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from .hotelrunner import HotelRunnerSimulator
from .ical import IcalSimulator
from .smoobu import DIRECT_CHANNEL, SmoobuSimulator
from .thekeys import TheKeysSimulator

AIRBNB = (1036942, "Airbnb")
BOOKING_COM = (465614, "Booking.com")

# Smoobu apartment id / HotelRunner inv_code -> (lock id, lock name, keypad id, keypad name)
_SMOOBU_UNITS = {
    101: ("Seaside Loft", 3701, "Seaside Loft - Front door", "Kp7Lm2Qa"),
    102: ("Garden Studio", 3702, "Garden Studio - Garden door", "Kg4Rt8Ws"),
    103: ("Old Town Flat", 3703, "Old Town Flat - Landing door", "Kt9Bn3Xe"),
}
_HOTELRUNNER_UNITS = {
    "HR:1": ("Standard Room", 3704, "Villa - Standard Room", "Kh2Vc6Pz"),
    "HR:2": ("Deluxe Suite", 3705, "Villa - Deluxe Suite", "Kd5Jy1Mf"),
}
_LOW_BATTERY_LOCK = 3702
#: The dev stack's building door: one more lock and keypad, a second door of one unit.
BUILDING_DOOR = (3706, "Building entrance", "Kb8Ex4Tn")
#: The unit whose guests' PIN opens the building door too.
BUILDING_UNIT = "Old Town Flat"
#: The Airbnb-only unit, read from its iCal export: (unit, lock id, lock name, keypad id).
ICAL_UNIT = ("Harbour Cabin", 3707, "Harbour Cabin - Front door", "Kc6Hb3Rw")
#: Its feed's token, fixed: the dev stack reuses its configuration (the address) between runs.
ICAL_TOKEN = "9c41e07b2d5a4f86b13e6d0a7f2c58e1"
_NICE = {
    "street": "12 Rue de France",
    "zip": "06000",
    "city": "Nice",
    "country": "France",
    "latitude": "43.6964720000000",
    "longitude": "7.2632380000000",
}


@dataclass(frozen=True)
class IcalFeedSeed:
    """An iCal feed of the demo, as a host pastes it in the feed form."""

    token: str
    platform: str
    unit: str

    @property
    def path(self) -> str:
        """Where the iCal simulator serves it (under its mount point)."""
        return f"/feeds/{self.token}.ics"


@dataclass(frozen=True)
class DemoSet:
    """Ids and credentials of the demo, for tests and the dev stack."""

    thekeys_username: str
    thekeys_password: str
    smoobu_api_key: str
    smoobu_api_secret: str
    hotelrunner_token: str
    hotelrunner_hr_id: str
    smoobu_apartments: dict[int, str]  # id -> name
    hotelrunner_rooms: dict[str, str]  # inv_code -> name
    locks: dict[int, tuple[str, str]]  # lock id -> (lock name, keypad id_accessoire)
    #: Unit name -> its other doors, as the unit step's "doors" field names keypads.
    doors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: The staff members the dev stack adds through the staff subentry flow.
    staff: tuple[StaffSeed, ...] = ()
    #: The iCal feeds (the dev stack adds them through the iCal flow).
    ical_feeds: tuple[IcalFeedSeed, ...] = ()


@dataclass(frozen=True)
class StaffSeed:
    """A staff member of the demo, as a host fills the staff form."""

    name: str
    role: str
    #: Unit names; None for every managed unit.
    units: tuple[str, ...] | None = None
    turnover: bool = False
    permanent: bool = False
    pin: str | None = None
    language: str | None = None


#: Marie cleans every unit at each turnover; Claire, the owner, has a code of her own.
DEMO_STAFF = (
    StaffSeed("Marie", "cleaner", turnover=True, language="fr"),
    StaffSeed("Claire", "owner", units=("Seaside Loft",), permanent=True, pin="731946"),
)


def build_simulators(
    today: date | None = None,
) -> tuple[TheKeysSimulator, SmoobuSimulator, HotelRunnerSimulator, IcalSimulator, DemoSet]:
    """Create the simulators with default credentials and seed the demo.

    The dev stack's demo (this) also has a busy unit, three coming stays in the Old Town Flat,
    for the Guests card, a building door (the Old Town Flat's second keypad), the Harbour
    Cabin's lock (its stays come from an Airbnb feed) and two staff members; the unit tests'
    demo (``seed_demo`` alone) keeps its one stay and five locks.
    """
    thekeys, smoobu, hotelrunner = TheKeysSimulator(), SmoobuSimulator(), HotelRunnerSimulator()
    ical = IcalSimulator()
    day = today or date.today()  # noqa: DTZ011
    demo = seed_demo(thekeys, smoobu, hotelrunner, day, ical)
    seed_busy_unit(smoobu, day)
    demo = seed_building_door(thekeys, demo)
    demo = seed_ical_lock(thekeys, demo)
    return thekeys, smoobu, hotelrunner, ical, replace(demo, staff=DEMO_STAFF)


def seed_ical_lock(thekeys: TheKeysSimulator, demo: DemoSet) -> DemoSet:
    """The Harbour Cabin's front door, a lock with a keypad."""
    add_ical_lock(thekeys)
    _, lock_id, name, keypad = ICAL_UNIT
    return replace(demo, locks={**demo.locks, lock_id: (name, keypad)})


def add_ical_lock(thekeys: TheKeysSimulator) -> None:
    """The Harbour Cabin's lock in the account, once (whoever asks first)."""
    _, lock_id, name, keypad = ICAL_UNIT
    if not thekeys.has_lock(lock_id):
        thekeys.add_lock(lock_id, name, battery=7235, keypads=[(keypad, "Digicode")])


def seed_ical(ical: IcalSimulator, today: date) -> IcalFeedSeed:
    """The Harbour Cabin's Airbnb calendar: a guest in, one arriving soon, one later, blocks.

    Airbnb names no guest: each stay is "Reserved" with its reservation code (and, for the
    next one, the last four digits of the guest's phone). Nobody arrives or leaves on the
    demo day, so the other units' arrivals and departures today stay as they are.
    """

    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    token = ical.add_feed("airbnb", ICAL_TOKEN)
    ical.book(token, day(-2), day(2))
    ical.book(token, day(4), day(7), phone_last4="4417")
    ical.book(token, day(16), day(23))
    ical.block(token, day(9), day(12))  # the host's own days
    ical.block(token, day(365), day(730))  # past the booking window, as Airbnb closes it
    return IcalFeedSeed(token, "airbnb", ICAL_UNIT[0])


def seed_building_door(thekeys: TheKeysSimulator, demo: DemoSet) -> DemoSet:
    """The building's entrance, a lock with a keypad: the Old Town Flat's second door."""
    lock_id, name, keypad = BUILDING_DOOR
    thekeys.add_lock(lock_id, name, keypads=[(keypad, "Digicode")])
    return replace(
        demo,
        locks={**demo.locks, lock_id: (name, keypad)},
        doors={**demo.doors, BUILDING_UNIT: (f"{lock_id}/{keypad}",)},
    )


def seed_busy_unit(smoobu: SmoobuSimulator, today: date) -> None:
    """Two more stays around Amélie's in the Old Town Flat: three coming in the next 14 days."""
    smoobu.add_booking(
        103,
        today + timedelta(days=1),
        today + timedelta(days=2),
        "Yuki Sato",
        email="yuki.sato@example.jp",
        phone="+81 80 2345 6789",
        language="ja",
        adults=1,
        channel=AIRBNB,
        created_at=datetime.combine(today - timedelta(days=8), time(6, 41), tzinfo=UTC),
    )
    smoobu.add_booking(
        103,
        today + timedelta(days=8),
        today + timedelta(days=11),
        "Mateo Rossi",
        email="mateo.rossi@example.it",
        phone="+39 347 123 4567",
        language="it",
        adults=2,
        created_at=datetime.combine(today - timedelta(days=1), time(19, 3), tzinfo=UTC),
    )


def seed_demo(
    thekeys: TheKeysSimulator,
    smoobu: SmoobuSimulator,
    hotelrunner: HotelRunnerSimulator,
    today: date,
    ical: IcalSimulator | None = None,
) -> DemoSet:
    """Fill the simulators with locks, bookings and reservations around ``today``.

    With `ical`, the Harbour Cabin's feed too, but not its lock (``seed_ical_lock``): the
    account keeps its five locks for the tests that count them.
    """
    locks: dict[int, tuple[str, str]] = {}
    for _, lock_id, lock_name, keypad in [*_SMOOBU_UNITS.values(), *_HOTELRUNNER_UNITS.values()]:
        battery = 6300 if lock_id == _LOW_BATTERY_LOCK else 7235
        thekeys.add_lock(lock_id, lock_name, battery=battery, keypads=[(keypad, "Digicode")])
        locks[lock_id] = (lock_name, keypad)
    _seed_foreign_codes(thekeys, today)
    _seed_smoobu(smoobu, today)
    _seed_hotelrunner(hotelrunner, today)
    return DemoSet(
        thekeys_username=thekeys.username,
        thekeys_password=thekeys.password,
        smoobu_api_key=smoobu.api_key,
        smoobu_api_secret=smoobu.api_secret,
        hotelrunner_token=hotelrunner.token,
        hotelrunner_hr_id=hotelrunner.hr_id,
        smoobu_apartments={apt: unit[0] for apt, unit in _SMOOBU_UNITS.items()},
        hotelrunner_rooms={inv: unit[0] for inv, unit in _HOTELRUNNER_UNITS.items()},
        locks=locks,
        ical_feeds=(seed_ical(ical, today),) if ical is not None else (),
    )


def _seed_foreign_codes(thekeys: TheKeysSimulator, today: date) -> None:
    """Codes made by hand in the app: LockBridge must never touch them."""
    _, seaside_lock, _, seaside_keypad = _SMOOBU_UNITS[101]
    thekeys.add_code(
        seaside_lock,
        seaside_keypad,
        "Cleaner",
        "4826",
        today - timedelta(days=60),
        today + timedelta(days=305),
        start_time=(8, 0),
        end_time=(18, 0),
    )
    _, garden_lock, _, garden_keypad = _SMOOBU_UNITS[102]
    thekeys.add_code(
        garden_lock,
        garden_keypad,
        "Emergency",
        "91357024",
        today - timedelta(days=200),
        today + timedelta(days=1625),
        start_time=None,
        end_time=None,
        description="Owner's emergency code",
        notify=True,
    )


def _seed_smoobu(smoobu: SmoobuSimulator, today: date) -> None:
    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    def booked(days_ago: int, hour: int) -> datetime:
        return datetime.combine(day(-days_ago), time(hour, 17), tzinfo=UTC)

    for apartment_id, (name, *_) in _SMOOBU_UNITS.items():
        smoobu.add_apartment(apartment_id, name, timezone="Europe/Paris", location=_NICE)
    # Seaside Loft: turnover today.
    smoobu.add_booking(
        101,
        day(-3),
        day(0),
        "Lars Johansson",
        email="lars.johansson.482913@guest.booking.com",
        phone="+46 70 123 45 67",
        language="sv",
        adults=2,
        children=1,
        created_at=booked(40, 9),
    )
    smoobu.add_booking(
        101,
        day(0),
        day(4),
        "Zoë Müller",
        email="zoe.mueller@example.de",
        phone="+49 151 23456789",
        language="de",
        channel=AIRBNB,
        check_in="15:00",
        created_at=booked(21, 18),
    )
    # Garden Studio: a stay in progress, then one about three weeks out.
    smoobu.add_booking(
        102,
        day(-2),
        day(3),
        "Hiroshi Tanaka",
        email="h.tanaka@example.jp",
        phone="+81 90 1234 5678",
        language="en",
        adults=1,
        channel=DIRECT_CHANNEL,
        check_in="18:30",
        created_at=booked(30, 7),
    )
    smoobu.add_booking(
        102,
        day(21),
        day(26),
        "Carlos García",
        email="carlos.garcia.771204@guest.booking.com",
        phone="+34 612 345 678",
        language="es",
        adults=2,
        children=2,
        created_at=booked(4, 22),
    )
    # Old Town Flat: an upcoming stay within a week, a cancellation, an owner block.
    smoobu.add_booking(
        103,
        day(5),
        day(8),
        "Amélie Laurent",
        email="amelie.laurent@example.fr",
        phone="+33 6 12 34 56 78",
        language="fr",
        check_in=None,
        check_out=None,
        created_at=booked(12, 14),
    )
    cancelled = smoobu.add_booking(
        103,
        day(2),
        day(4),
        "Priya Patel",
        email="priya.patel@example.co.uk",
        phone="+44 7700 900123",
        channel=AIRBNB,
        created_at=booked(9, 11),
    )
    smoobu.cancel_booking(cancelled)
    smoobu.add_booking(103, day(12), day(15), "Owner stay", blocked=True, created_at=booked(2, 10))


def _seed_hotelrunner(hotelrunner: HotelRunnerSimulator, today: date) -> None:
    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    def received(days_ago: int, hour: int) -> datetime:
        return datetime.combine(day(-days_ago), time(hour, 7, 12), tzinfo=UTC)

    for inv_code, (name, *_) in _HOTELRUNNER_UNITS.items():
        hotelrunner.add_room(inv_code, name)
    hotelrunner.add_reservation(
        "Ayşe Yılmaz",
        [("HR:1", day(0), day(2))],
        email="ayse.yilmaz@example.com.tr",
        phone="+905321112233",
        completed_at=received(6, 11),
    )
    hotelrunner.add_reservation(
        "Olivia Smith",
        [("HR:2", day(3), day(6))],
        email="olivia.smith.90210@guest.booking.com",
        phone="+1 415 555 0134",
        country="US",
        completed_at=received(3, 16),
    )
    cancelled = hotelrunner.add_reservation(
        "Jonas Becker",
        [("HR:1", day(7), day(9))],
        email="jonas.becker@example.de",
        phone="+49 160 9876543",
        country="DE",
        channel=("online", "Online"),
        completed_at=received(5, 9),
    )
    hotelrunner.cancel_reservation(cancelled)
    # A family taking both rooms, two weeks into next month.
    start = (today.replace(day=1) + timedelta(days=32)).replace(day=15)
    hotelrunner.add_reservation(
        "Sophie Dubois",
        [("HR:1", start, start + timedelta(days=4)), ("HR:2", start, start + timedelta(days=4))],
        email="sophie.dubois@example.fr",
        phone="+33 7 81 23 45 67",
        country="FR",
        completed_at=received(1, 20),
    )
