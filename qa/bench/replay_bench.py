"""Replay benchmark: 100 copies of a 20-step script, replayed in-process.

    .venv/bin/python -m qa.bench.replay_bench [--copies 100] [-j 8]

Prints the wall time and scripts/s (the target is under 10 s for 100 copies).
Not a test: the figure depends on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bot.logs import configure
from qa.replay.batch import run_paths

# 20 steps: 12 user steps and 8 checks, using only what the base bot has.
SCRIPT = """\
name: ベンチマーク {n}
now: 2024-04-20T09:00+09:00
steps:
  - follow
  - expect: {{contains: [友だち登録], buttons: [予約をする]}}
  - say: こんにちは
  - expect: 届きません
  - tap: 区ウェブ
  - expect: {{regex: "https://"}}
  - say: メニュー
  - tap: 区ウェブサイトで概要を確認する
  - expect: ウェブサイト
  - say: 2022/5/1
  - advance: 2h
  - say: メニュー
  - expect: {{buttons: [児童の登録], no_buttons: [面談予約の再開]}}
  - as: grandma
  - follow
  - expect: 友だち登録
  - say: よろしく
  - as: parent
  - unfollow
  - expect_no_reply
"""


def bench(copies: int, jobs: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(copies):
            Path(tmp, f"bench_{n:03d}.yaml").write_text(SCRIPT.format(n=n), encoding="utf-8")
        started = time.perf_counter()  # parsing the scripts is part of the figure
        results = asyncio.run(run_paths([Path(tmp)], jobs=jobs))
        wall = time.perf_counter() - started
    failed = [r for r in results if not r.passed]
    print(
        f"{len(results)} scripts x 20 steps in {wall:.2f} s: {len(results) / wall:.1f} scripts/s "
        f"({len(failed)} failed, -j {jobs})"
    )
    return 1 if failed else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--copies", type=int, default=100)
    p.add_argument("-j", dest="jobs", type=int, default=8)
    args = p.parse_args()
    configure("CRITICAL")
    return bench(args.copies, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
