"""Stateful HTTP simulators of The Keys, Smoobu, HotelRunner and iCal feeds (aiohttp.web).

Run ``python -m tests.fakes --port 18123`` to serve them all with demo data.
"""

from __future__ import annotations

from .common import Faults, RecordedRequest
from .demo import DemoSet, build_simulators, seed_demo
from .hotelrunner import HotelRunnerSimulator
from .ical import IcalSimulator
from .smoobu import SmoobuSimulator
from .thekeys import SimCode, TheKeysSimulator

__all__ = [
    "DemoSet",
    "Faults",
    "HotelRunnerSimulator",
    "IcalSimulator",
    "RecordedRequest",
    "SimCode",
    "SmoobuSimulator",
    "TheKeysSimulator",
    "build_simulators",
    "seed_demo",
]
