"""A MongoDB wire-protocol server for tests and benchmarks (mongoeco, kept in memory).

Run with the Python of `.venv-mongoeco` (made by scripts/_mongoeco.sh; mongoeco needs
Python 3.13). Prints `mongodb://127.0.0.1:PORT/` as its first line once it accepts
connections, then serves until SIGTERM or SIGINT, or until the process named by
`--parent` is gone (so a killed test run leaves no server behind).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal

from mongoeco.wire.proxy import AsyncMongoEcoProxyServer


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def serve(host: str, port: int, parent: int | None) -> None:
    async with AsyncMongoEcoProxyServer(host=host, port=port) as server:
        address = server.address
        print(f"mongodb://{address.host}:{address.port}/", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            if parent is not None and not _alive(parent):
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback only (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--parent", type=int, help="exit when this process id is gone")
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.parent))


if __name__ == "__main__":
    main()
