"""Writing a changed copy of config.yaml for a test, with its translations beside it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def write_config(folder: Path, raw: dict[str, Any]) -> Path:
    """`raw` as config.yaml in `folder`, the shipped translation files copied beside it."""
    for name in raw.get("translations", []):
        shutil.copy(ROOT / name, folder / name)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path
