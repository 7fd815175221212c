"""Run Home Assistant with every TCP connection off this machine refused and written down.

``python -m tests.devstack.offline -c <config> ...`` takes Home Assistant's own arguments. The
dev stack talks only to the simulators on loopback; this makes that a fact rather than a hope:
an integration that tries the internet (onboarding sets up ``met`` and ``radio_browser``, for
instance) is refused, and the address lands in ``offline-refused.log`` for the e2e test to read.
"""

from __future__ import annotations

import errno
import ipaddress
from pathlib import Path
import socket
import sys
from typing import Any

REFUSED_LOG = "offline-refused.log"


def is_local(address: Any) -> bool:
    """Loopback addresses and Unix sockets are local; any other host is not."""
    if not isinstance(address, tuple):
        return True  # a Unix socket path
    host = str(address[0]).split("%", 1)[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already leave the machine


def install(log: Path) -> None:
    """Refuse TCP connections to non-local addresses, appending each to ``log``."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        # UDP "connects" send nothing (Home Assistant uses one to learn its source address).
        if sock.type == socket.SOCK_STREAM and not is_local(address):
            with log.open("a", encoding="utf-8") as out:
                out.write(f"{address[0]} {address[1]}\n")
            raise ConnectionRefusedError(errno.ECONNREFUSED, "refused: the dev stack is offline")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return connect_ex(self, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]


def main() -> int:
    """Install the guard in the configuration folder, then hand over to Home Assistant."""
    config = Path(sys.argv[sys.argv.index("-c") + 1])
    install(config / REFUSED_LOG)
    from homeassistant.__main__ import main as hass_main  # noqa: PLC0415 - after the guard

    return hass_main()


if __name__ == "__main__":
    sys.exit(main())
