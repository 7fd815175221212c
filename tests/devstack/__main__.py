"""``python -m tests.devstack``: the demo stack, until Ctrl-C (what ``scripts/develop`` runs)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
import json
from pathlib import Path
import signal
import sys

from .hass_api import HassApiError
from .stack import (
    DASHBOARD_PATH,
    FRENCH_DASHBOARD_PATH,
    REPO,
    RESTART_EXIT_CODE,
    Settings,
    Stack,
    StackError,
)


def _banner(stack: Stack) -> str:
    settings = stack.settings
    reused = " (reused from the last run)" if stack.reused else ""
    return f"""
LockBridge demo is running.
  Guests dashboard  {stack.url}/{DASHBOARD_PATH}
  In French         {stack.url}/{FRENCH_DASHBOARD_PATH}
  Log in as         {stack.login.username} / {stack.login.password}
  Simulators        {stack.sim_url}/thekeys, /smoobu, /hotelrunner, /ical
  Configuration     {settings.config_dir}{reused}
  Logs              {settings.config_dir / "home-assistant.log"}
  Nothing leaves this machine: connections Home Assistant tried to make to other
  hosts were refused and are listed in {settings.config_dir / "offline-refused.log"}
Ctrl-C stops everything.
"""


def _ready_line(stack: Stack) -> str:
    """What the e2e test reads: where everything is."""
    info = {
        "url": stack.url,
        "sim_url": stack.sim_url,
        "username": stack.login.username,
        "password": stack.login.password,
        "dashboard": f"{stack.url}/{DASHBOARD_PATH}",
        "config_dir": str(stack.settings.config_dir),
        "reused": stack.reused,
    }
    return "READY " + json.dumps(info)


async def serve(settings: Settings) -> int:
    """Run the stack until SIGINT or SIGTERM; restart Home Assistant when it asks to."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    stop = asyncio.create_task(stopping.wait())
    async with Stack(settings) as stack:
        started = asyncio.create_task(stack.start())
        await asyncio.wait({started, stop}, return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            started.cancel()
            return 0
        await started  # raises StackError if it failed
        print(_ready_line(stack) if settings.headless else _banner(stack), flush=True)
        while stack.hass is not None:
            exited = asyncio.create_task(stack.hass.wait())
            await asyncio.wait({exited, stop}, return_when=asyncio.FIRST_COMPLETED)
            if stop.done():
                exited.cancel()
                print("Stopping Home Assistant and the simulators...", flush=True)
                return 0
            if exited.result() != RESTART_EXIT_CODE:
                print(f"Home Assistant stopped (exit code {exited.result()}).", file=sys.stderr)
                return 1
            print("Home Assistant asked for a restart.", flush=True)
            await stack.start_hass()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m tests.devstack", description=__doc__)
    parser.add_argument("--config", type=Path, default=REPO / ".develop" / "config")
    parser.add_argument("--port", type=int, default=8123, help="0: any free port")
    parser.add_argument("--sim-port", type=int, default=8124, help="0: any free port")
    parser.add_argument("--today", type=date.fromisoformat, help="demo day (default: today)")
    parser.add_argument("--headless", action="store_true", help="log to files, print READY json")
    parser.add_argument(
        "--no-demo-check-in",
        action="store_true",
        help="no guest checks in by themselves 90 s after the start (the e2e tests drive it)",
    )
    args = parser.parse_args(argv)
    settings = Settings(
        config_dir=args.config.resolve(),
        port=args.port,
        sim_port=args.sim_port,
        today=args.today,
        headless=args.headless,
        check_in_after=None if args.no_demo_check_in else 90.0,
    )
    try:
        return asyncio.run(serve(settings))
    except (StackError, HassApiError) as err:
        print(f"The demo stack could not start: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
