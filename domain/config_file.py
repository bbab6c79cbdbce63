"""Reading config.yaml and its translations (config.en.yaml) into one `AppConfig` per
language; a problem stops start-up with one line naming the file and the key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import structlog
import yaml
from pydantic import ValidationError

from domain.config import AppConfig, ConfigError
from domain.translation import Translation, localize, mismatches, untranslated_nurseries

log = structlog.get_logger(__name__)

# libyaml's parser where PyYAML was built with it (its wheels are): the same documents as
# the pure-Python SafeLoader, parsed in C.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _describe(err: ValidationError, source: str) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    reason = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        reason = "missing"
    elif first["type"] == "extra_forbidden":
        reason = "unknown key"
    return f"{source}: {key}: {reason}"


def default_config_path() -> Path:
    """The checkout's config.yaml; an installed wheel's copy (its data files) without one."""
    beside = Path(__file__).resolve().parent.parent / "config.yaml"
    if beside.exists():
        return beside
    return Path(sys.prefix) / "share" / "meguro-ichiji-hoiku-bot" / "config.yaml"


def load_config(path: str | Path | None = None) -> AppConfig:
    """Read and validate config.yaml; raise ConfigError with one line naming the key. A
    nursery a translation lacks keeps the base's words there, with a warning naming it."""
    path = Path(path) if path else default_config_path()
    raw = _read(path)
    _validate(raw, path)  # the base's own problems first
    translations = [_translation(path.parent / name, raw) for name in raw.get("translations", [])]
    for words, _ in translations:
        raw = {**raw, "keywords": {**raw.get("keywords", {}), **words.keywords}}
    base = _validate(raw, path)
    versions = {base.language: base}
    for words, messages in translations:
        where = path.parent / base.translations[len(versions) - 1]
        try:
            localized = localize(raw, words, messages)
        except ValueError as e:
            raise ConfigError(f"{where}: {e}") from e
        versions[words.language] = _validate(localized, where)
        for nursery in untranslated_nurseries(raw, words):
            log.warning("nursery_not_translated", file=str(where), key=f"nurseries.{nursery}")
    base.share(versions)
    return base


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} not valid YAML") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: (top level): must be a mapping")
    return raw


def _validate(raw: dict[str, Any], path: Path) -> AppConfig:
    try:
        return AppConfig.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_describe(e, str(path))) from e


def _translation(path: Path, base: dict[str, Any]) -> tuple[Translation, dict[str, Any]]:
    """A translation file, checked against the base's messages (keys, placeholders)."""
    raw = _read(path)
    try:
        words = Translation.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_describe(e, str(path))) from e
    found = mismatches(base.get("messages"), raw.get("messages"))
    if found:
        raise ConfigError(f"{path}: {found[0]}")
    return words, raw["messages"]
