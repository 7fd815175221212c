"""The demo stack, started headless once for the e2e tests, as ``scripts/develop`` starts it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
from typing import Any

import aiohttp
import pytest

from tests.devstack.hass_api import HomeAssistantApi
from tests.devstack.stack import REPO

CHROMIUM = os.environ.get("LOCKBRIDGE_CHROMIUM") or shutil.which("chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the e2e tests where there is no Chromium (``.ci/run`` installs Debian's)."""
    if CHROMIUM:
        return
    if os.environ.get("LOCKBRIDGE_E2E_REQUIRED"):
        pytest.exit("no Chromium, and LOCKBRIDGE_E2E_REQUIRED is set (.ci/run)", returncode=1)
    skip = pytest.mark.skip(reason="no Chromium: apt-get install chromium, or LOCKBRIDGE_CHROMIUM")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``python -m tests.devstack --headless`` on free ports; stopped with SIGINT (Ctrl-C)."""
    config = tmp_path_factory.mktemp("e2e") / "config"
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "tests.devstack",
            *("--config", str(config), "--port", "0", "--sim-port", "0", "--headless"),
            "--no-demo-check-in",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # ends when the stack exits, so a failed start cannot hang
        lines.append(line)
        if line.startswith("READY "):
            break
    else:
        process.wait()
        pytest.fail("the stack did not start:\n" + "".join(lines[-40:]))
    info: dict[str, Any] = json.loads(line.removeprefix("READY "))
    yield info
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=120)
    assert process.returncode == 0, rest  # Ctrl-C stops everything cleanly


@pytest.fixture
async def api(stack: dict[str, Any]) -> AsyncIterator[HomeAssistantApi]:
    """Home Assistant's API, logged in as the demo owner."""
    async with aiohttp.ClientSession() as session:
        client = HomeAssistantApi(session, stack["url"])
        await client.login(stack["username"], stack["password"])
        yield client
