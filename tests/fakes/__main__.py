"""Serve the three simulators with demo data: ``python -m tests.fakes --port 18123``."""

from __future__ import annotations

import argparse
from datetime import date

from aiohttp import web

from .demo import build_simulators
from .hotelrunner import HotelRunnerSimulator
from .smoobu import SmoobuSimulator
from .thekeys import TheKeysSimulator


def make_root_app(
    thekeys: TheKeysSimulator, smoobu: SmoobuSimulator, hotelrunner: HotelRunnerSimulator
) -> web.Application:
    """One app serving the three clouds under /thekeys, /smoobu and /hotelrunner.

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
    """
    clouds = {"thekeys": thekeys, "smoobu": smoobu, "hotelrunner": hotelrunner}

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

    root = web.Application()
    root.router.add_put("/_control/{cloud}/faults", set_faults)
    root.router.add_get("/_control/smoobu/messages/{booking_id}", messages)
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
    return root


def main(argv: list[str] | None = None) -> None:
    """Mount the simulators under /thekeys, /smoobu and /hotelrunner and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--today", type=date.fromisoformat, help="demo day (default: today)")
    args = parser.parse_args(argv)

    thekeys, smoobu, hotelrunner, demo = build_simulators(args.today)
    root = make_root_app(thekeys, smoobu, hotelrunner)
    base = f"http://{args.host}:{args.port}"
    lines = [
        f"The Keys     {base}/thekeys",
        f"  username {demo.thekeys_username}  password {demo.thekeys_password}",
        f"Smoobu       {base}/smoobu",
        f"  api key {demo.smoobu_api_key}  api secret {demo.smoobu_api_secret}",
        f"HotelRunner  {base}/hotelrunner/api/v2/apps",
        f"  token {demo.hotelrunner_token}  hr_id {demo.hotelrunner_hr_id}",
        "Locks:",
        *(f"  {lock_id}  {name}  keypad {kp}" for lock_id, (name, kp) in demo.locks.items()),
    ]
    print("\n".join(lines), flush=True)  # flushed: dev stacks pipe this output
    web.run_app(root, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
