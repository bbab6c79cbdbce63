"""A loopback port for a server a test starts as another process."""

from __future__ import annotations

import random
import socket


def free_port() -> int:
    """A loopback port free now, for a process to bind later: chosen below Linux's ephemeral
    range (32768 on), from which the kernel would hand the same port to another test's socket
    meanwhile (the suite runs on several processes at once)."""
    while True:
        port = random.randrange(20000, 32768)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
