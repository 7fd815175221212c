"""Serve the simulators with demo data: ``python -m tests.fakes --port 18123``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime
import math
from typing import Any, TypeGuard

from aiohttp import web

from .common import SimulatorBase
from .demo import build_simulators
from .hotelrunner import HotelRunnerSimulator
from .ical import IcalSimulator
from .smoobu import SmoobuSimulator
from .thekeys import TheKeysSimulator


def make_root_app(
    thekeys: TheKeysSimulator,
    smoobu: SmoobuSimulator,
    hotelrunner: HotelRunnerSimulator,
    ical: IcalSimulator | None = None,
) -> web.Application:
    """One app serving the clouds under /thekeys, /smoobu, /hotelrunner (and /ical).

    ``PATCH /_control/smoobu/bookings/{id}`` with ``{"arrival": ..., "departure": ...}`` (ISO
    dates) moves a booking, as a guest's change on a channel would: the e2e test uses it.
    ``POST /_control/smoobu/bookings`` with ``{"apartment", "arrival", "departure", "guest"}``
    adds one, ``DELETE /_control/smoobu/bookings/{id}`` cancels it. ``PUT
    /_control/smoobu/webhook`` with ``{"url": ...}`` is the address pasted in Smoobu: every
    change made here is then pushed to it, as Smoobu does.

    HotelRunner likewise: ``POST /_control/hotelrunner/reservations`` with ``{"room" (inv_code),
    "checkin", "checkout", "guest"}`` adds a reservation, ``PATCH
    /_control/hotelrunner/reservations/{hr_number}`` with ``{"checkin"?, "checkout"?}`` moves
    its (single) room line, ``DELETE`` there cancels it (404 for unknown numbers). ``PUT
    /_control/hotelrunner/webhook`` with ``{"url": ...}`` is the callback URL given to
    HotelRunner (empty clears it): each change is then pushed there, form-encoded, as
    HotelRunner does. The reservation routes answer it as ``GET /reservations`` lists it.

    ``PUT /_control/{thekeys|smoobu|hotelrunner}/faults`` with ``{"fail_next": n}`` makes that
    cloud answer its next n requests with a 500 (0 heals it): a cloud down, for the e2e test.
    ``GET /_control/smoobu/messages/{id}`` lists the messages sent in a booking's thread.

    The Keys' lock activity: ``POST /_control/thekeys/keypad/{id_accessoire}/type`` with
    ``{"pin": "1234"}`` is a guest typing a PIN at that keypad; it answers ``{"logged": bool,
    "opened": bool}`` (never the PIN), 404 for an unknown keypad, 400 without a string PIN.
    ``PUT /_control/thekeys/activity`` with any of ``{"log_delay": seconds, "log_refused": bool,
    "open_action": str, "max_logs": int, "logs_oldest_first": bool}`` changes how the activity
    is logged and shown, and answers the settings. ``PUT
    /_control/thekeys/locks/{lock_id}/battery`` with ``{"battery": int}`` (raw, mV-like) sets a
    lock's battery; ``PUT /_control/thekeys/keypad/{id_accessoire}/seen`` with ``{"last_seen":
    ISO string or null}`` sets a keypad's ``info.last_seen`` (a time without offset is the
    lock's local time; null: no info). Bad bodies answer 400, unknown locks and keypads 404.

    iCal, when given: its feeds are at ``/ical/feeds/{token}.ics``. ``POST
    /_control/ical/feeds/{token}/reservations`` with ``{"start", "end" (ISO dates), "guest"?,
    "phone_last4"?, "block"?}`` adds a reservation (a block with ``"block": true``) and answers
    the event, its ``uid`` included; ``PATCH .../reservations/{uid}`` with ``{"start"?,
    "end"?}`` moves it (its UID stays), ``DELETE`` there removes it, as a cancellation leaves
    a feed. ``PUT /_control/ical/feeds/{token}`` with ``IcalSimulator.control``'s body
    (``{"fail_next": n, "status": 500 or 0 for an HTML page}``, ``{"empty": bool}``, ``{"hide":
    [uid...], "reads": n}``) answers the feed's settings. Unknown feeds and events answer 404,
    bad bodies 400; ``/_control/ical/faults`` fails the whole cloud as for the others.
    """
    clouds: dict[str, SimulatorBase] = {
        "thekeys": thekeys,
        "smoobu": smoobu,
        "hotelrunner": hotelrunner,
    }
    if ical is not None:
        clouds["ical"] = ical

    async def add_booking(request: web.Request) -> web.Response:
        body = await request.json()
        booking_id = smoobu.add_booking(
            int(body["apartment"]),
            date.fromisoformat(body["arrival"]),
            date.fromisoformat(body["departure"]),
            str(body["guest"]),
        )
        await smoobu.push("newReservation", booking_id)
        return web.json_response(smoobu.bookings[booking_id])

    async def cancel_booking(request: web.Request) -> web.Response:
        booking_id = int(request.match_info["booking_id"])
        if booking_id not in smoobu.bookings:
            raise web.HTTPNotFound
        smoobu.cancel_booking(booking_id)
        await smoobu.push("cancelReservation", booking_id)
        return web.json_response(smoobu.bookings[booking_id])

    async def set_webhook(request: web.Request) -> web.Response:
        smoobu.webhook_url = str((await request.json())["url"]) or None
        return web.json_response({"url": smoobu.webhook_url})

    async def move_booking(request: web.Request) -> web.Response:
        body = await request.json()
        booking_id = int(request.match_info["booking_id"])
        if booking_id not in smoobu.bookings:
            raise web.HTTPNotFound
        smoobu.move_booking(
            booking_id,
            arrival=date.fromisoformat(body["arrival"]) if "arrival" in body else None,
            departure=date.fromisoformat(body["departure"]) if "departure" in body else None,
        )
        await smoobu.push("updateReservation", booking_id)
        return web.json_response(smoobu.bookings[booking_id])

    def known_reservation(request: web.Request) -> str:
        hr_number = request.match_info["hr_number"]
        if hr_number not in hotelrunner.reservations:
            raise web.HTTPNotFound
        return hr_number

    async def add_reservation(request: web.Request) -> web.Response:
        body = await request.json()
        stay = (
            str(body["room"]),
            date.fromisoformat(body["checkin"]),
            date.fromisoformat(body["checkout"]),
        )
        hr_number = hotelrunner.add_reservation(str(body["guest"]), [stay])
        await hotelrunner.push(hr_number)
        return web.json_response(hotelrunner.reservations[hr_number])

    async def move_reservation(request: web.Request) -> web.Response:
        hr_number = known_reservation(request)
        body = await request.json()
        lines = hotelrunner.reservations[hr_number]["rooms"]
        if len(lines) != 1:
            # Which line a date change is for would be a guess: refuse rather than pick one.
            raise web.HTTPConflict(text=f"{hr_number} has {len(lines)} room lines, not one")
        (line,) = lines
        stay = (
            str(line["inv_code"]),
            date.fromisoformat(body.get("checkin", line["checkin_date"])),
            date.fromisoformat(body.get("checkout", line["checkout_date"])),
        )
        hotelrunner.modify_reservation(hr_number, stays=[stay])
        await hotelrunner.push(hr_number)
        return web.json_response(hotelrunner.reservations[hr_number])

    async def cancel_reservation(request: web.Request) -> web.Response:
        hr_number = known_reservation(request)
        hotelrunner.cancel_reservation(hr_number)
        await hotelrunner.push(hr_number)
        return web.json_response(hotelrunner.reservations[hr_number])

    async def set_push_url(request: web.Request) -> web.Response:
        hotelrunner.push_url = str((await request.json())["url"]) or None
        return web.json_response({"url": hotelrunner.push_url})

    async def set_faults(request: web.Request) -> web.Response:
        cloud = clouds.get(request.match_info["cloud"])
        if cloud is None:
            raise web.HTTPNotFound
        cloud.faults.fail_next = int((await request.json())["fail_next"])
        return web.json_response({"fail_next": cloud.faults.fail_next})

    async def messages(request: web.Request) -> web.Response:
        return web.json_response(smoobu.messages.get(int(request.match_info["booking_id"]), []))

    def known_keypad(request: web.Request) -> tuple[int, str]:
        id_accessoire = request.match_info["id_accessoire"]
        lock_id = thekeys.keypad_lock_id(id_accessoire)
        if lock_id is None:
            raise web.HTTPNotFound
        return lock_id, id_accessoire

    async def type_pin(request: web.Request) -> web.Response:
        _, id_accessoire = known_keypad(request)
        pin = (await _json_object(request)).get("pin")
        if not isinstance(pin, str):
            raise web.HTTPBadRequest(text="pin: a string is needed")
        entry = thekeys.type_pin(id_accessoire, pin)
        opened = entry is not None and entry["status"] == 1
        return web.json_response({"logged": entry is not None, "opened": opened})

    async def set_activity(request: web.Request) -> web.Response:
        body = await _json_object(request)
        unknown = sorted(set(body) - set(_ACTIVITY))
        bad = [key for key in _ACTIVITY if key in body and not _ACTIVITY[key](body[key])]
        if unknown or bad:
            raise web.HTTPBadRequest(text=f"unknown: {unknown}, invalid: {bad}")
        for key, value in body.items():
            setattr(thekeys, key, float(value) if key == "log_delay" else value)
        return web.json_response({key: getattr(thekeys, key) for key in _ACTIVITY})

    async def set_battery(request: web.Request) -> web.Response:
        lock_id = request.match_info["lock_id"]
        if not lock_id.isdigit() or not thekeys.has_lock(int(lock_id)):
            raise web.HTTPNotFound
        battery = (await _json_object(request)).get("battery")
        if not _is_int(battery):
            raise web.HTTPBadRequest(text="battery: an integer is needed")
        thekeys.set_battery(int(lock_id), battery)
        return web.json_response({"battery": battery})

    async def set_keypad_seen(request: web.Request) -> web.Response:
        lock_id, id_accessoire = known_keypad(request)
        raw = (await _json_object(request)).get("last_seen", False)
        try:
            when = None if raw is None else datetime.fromisoformat(raw)
        except (TypeError, ValueError):
            raise web.HTTPBadRequest(text="last_seen: an ISO date and time, or null") from None
        thekeys.set_keypad_seen(lock_id, id_accessoire, when)
        return web.json_response({"last_seen": raw})

    root = web.Application()
    root.router.add_put("/_control/{cloud}/faults", set_faults)
    root.router.add_get("/_control/smoobu/messages/{booking_id}", messages)
    root.router.add_post("/_control/thekeys/keypad/{id_accessoire}/type", type_pin)
    root.router.add_put("/_control/thekeys/keypad/{id_accessoire}/seen", set_keypad_seen)
    root.router.add_put("/_control/thekeys/activity", set_activity)
    root.router.add_put("/_control/thekeys/locks/{lock_id}/battery", set_battery)
    root.router.add_patch("/_control/smoobu/bookings/{booking_id}", move_booking)
    root.router.add_post("/_control/smoobu/bookings", add_booking)
    root.router.add_delete("/_control/smoobu/bookings/{booking_id}", cancel_booking)
    root.router.add_put("/_control/smoobu/webhook", set_webhook)
    root.router.add_post("/_control/hotelrunner/reservations", add_reservation)
    root.router.add_patch("/_control/hotelrunner/reservations/{hr_number}", move_reservation)
    root.router.add_delete("/_control/hotelrunner/reservations/{hr_number}", cancel_reservation)
    root.router.add_put("/_control/hotelrunner/webhook", set_push_url)
    root.add_subapp("/thekeys", thekeys.make_app())
    root.add_subapp("/smoobu", smoobu.make_app())
    root.add_subapp("/hotelrunner", hotelrunner.make_app())
    if ical is not None:
        ical.add_control_routes(root.router, "/_control/ical")
        root.add_subapp("/ical", ical.make_app())
    return root


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_seconds(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value) and value >= 0


#: The activity settings the control API changes, each with its check.
_ACTIVITY: dict[str, Callable[[Any], bool]] = {
    "log_delay": _is_seconds,
    "log_refused": lambda value: isinstance(value, bool),
    "open_action": lambda value: isinstance(value, str) and bool(value),
    "max_logs": lambda value: _is_int(value) and value >= 0,
    "logs_oldest_first": lambda value: isinstance(value, bool),
}


async def _json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; 400 for anything else."""
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="a JSON object is needed") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object is needed")
    return body


def main(argv: list[str] | None = None) -> None:
    """Mount the simulators under /thekeys, /smoobu, /hotelrunner, /ical; serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--today", type=date.fromisoformat, help="demo day (default: today)")
    args = parser.parse_args(argv)

    thekeys, smoobu, hotelrunner, ical, demo = build_simulators(args.today)
    root = make_root_app(thekeys, smoobu, hotelrunner, ical)
    base = f"http://{args.host}:{args.port}"
    lines = [
        f"The Keys     {base}/thekeys",
        f"  username {demo.thekeys_username}  password {demo.thekeys_password}",
        f"Smoobu       {base}/smoobu",
        f"  api key {demo.smoobu_api_key}  api secret {demo.smoobu_api_secret}",
        f"HotelRunner  {base}/hotelrunner/api/v2/apps",
        f"  token {demo.hotelrunner_token}  hr_id {demo.hotelrunner_hr_id}",
        "iCal feeds",
        *(f"  {feed.unit} ({feed.platform})  {base}/ical{feed.path}" for feed in demo.ical_feeds),
        "Locks:",
        *(f"  {lock_id}  {name}  keypad {kp}" for lock_id, (name, kp) in demo.locks.items()),
    ]
    print("\n".join(lines), flush=True)  # flushed: dev stacks pipe this output
    web.run_app(root, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
