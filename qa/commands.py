"""Database commands counted by name, in a server process (for the benchmark).

`BENCH_COMMAND_COUNTS=FILE` in a server's environment registers a
`pymongo.monitoring.CommandListener` before the MongoDB client is made; on SIGUSR1
the process writes what it counted so far, as JSON `{"command collection": count}`, to
`FILE.PID` (written aside, then renamed, so a reader never sees half of it).
The in-memory store sends no commands: nothing is counted there.
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from pymongo import monitoring


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        target = event.command.get(name)
        self.counts[f"{name} {target}" if isinstance(target, str) else name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def install(path: str) -> CommandCounter:
    counter = CommandCounter()
    monitoring.register(counter)
    target = Path(f"{path}.{os.getpid()}")

    def dump(*_: Any) -> None:
        aside = target.with_suffix(target.suffix + ".tmp")
        aside.write_text(json.dumps(dict(counter.counts)))
        aside.replace(target)

    signal.signal(signal.SIGUSR1, dump)
    return counter
