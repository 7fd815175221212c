"""The dev stack's offline guard refuses connections off this machine, and lists them."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

from tests.devstack.offline import REFUSED_LOG, is_local
from tests.devstack.stack import REPO

PROBE = """
import socket, sys
from pathlib import Path
from tests.devstack.offline import install
install(Path(sys.argv[1]))
for host in ("192.0.2.1", "2001:db8::1"):  # documentation addresses: never reached
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.connect((host, 443))
        except ConnectionRefusedError as err:
            print("refused", host, err.strerror)
with socket.socket() as server:
    server.bind(("127.0.0.1", 0))
    server.listen()
    socket.create_connection(server.getsockname()).close()
    print("loopback ok")
"""


def test_only_loopback_passes(tmp_path: Path) -> None:
    log = tmp_path / REFUSED_LOG
    result = subprocess.run(  # noqa: S603 - our own probe, in a child so sockets stay ours
        [sys.executable, "-c", PROBE, str(log)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines() == [
        "refused 192.0.2.1 refused: the dev stack is offline",
        "refused 2001:db8::1 refused: the dev stack is offline",
        "loopback ok",
    ]
    assert log.read_text().splitlines() == ["192.0.2.1 443", "2001:db8::1 443"]


def test_what_counts_as_local() -> None:
    assert is_local(("127.0.0.1", 80))
    assert is_local(("::1", 80, 0, 0))
    assert is_local(("localhost", 80))
    assert is_local("/run/socket")
    assert not is_local(("10.0.0.1", 80))
    assert not is_local(("example.com", 443))
