"""``config.yaml`` → frozen dataclasses. Defaults live here; the file holds what differs.

Unknown keys and wrong types are errors that name the file and the key path, e.g.
``config.yaml: alerts.min_abs_change: expected an integer, got 'ten'``.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from monitor.rules import Thresholds
from parsers.isolated import Limits


class ConfigError(Exception):
    """A configuration problem; the message is one line naming the file and key."""


@dataclass(frozen=True)
class SourceConfig:
    url: str = "https://www.ice.gov/declined-detainer-outcome-report"
    allowed_domains: tuple[str, ...] = ()
    user_agent: str = "ddor-watch/0.1 (+https://github.com/ddor-watch/ddor-watch; newsroom monitor)"
    download_delay_seconds: float = 2.0
    max_download_bytes: int = 64 * 1024 * 1024
    request_timeout_seconds: float = 60.0
    retries: int = 2
    crawl_timeout_seconds: float = 600.0
    # Known report URLs are re-checked (conditional GET) at most this often; 0 = every poll.
    recheck_hours: float = 24.0


@dataclass(frozen=True)
class StorageConfig:
    url: str = "sqlite:///data/ddor.sqlite3"
    archive_dir: str = "data/archive"


@dataclass(frozen=True)
class SlackConfig:
    channel: str = "#ddor-alerts"
    ops_channel: str = ""
    api_url: str = "https://slack.com/api/"
    token_env: str = "SLACK_BOT_TOKEN"
    webhook_env: str = "SLACK_WEBHOOK_URL"
    max_attempts: int = 5
    min_seconds_between_posts: float = 1.0


@dataclass(frozen=True)
class ScheduleConfig:
    cron: str = ""
    timezone: str = "America/New_York"
    interval_seconds: int = 0
    jitter_seconds: int = 0
    run_timeout_seconds: float = 900.0
    stop_grace_seconds: float = 30.0
    heartbeat_url: str = ""


@dataclass(frozen=True)
class AlertsConfig(Thresholds):
    """The rules' own thresholds (min_abs_change, min_rel_change, floor, significance, watch),
    so config and rules cannot drift, plus the settings around them."""

    trailing_reports: int = 4
    top_changes: int = 12
    failures_before_ops_alert: int = 2
    silence_after_cadences: float = 3.0


@dataclass(frozen=True)
class Config:
    source: SourceConfig = field(default_factory=SourceConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    # The parser child's limits: the same dataclass the parser takes, so they cannot drift.
    parse: Limits = field(default_factory=Limits)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    base_dir: str = "."

    @property
    def archive_path(self) -> Path:
        return resolve_path(self.base_dir, self.storage.archive_dir)

    @property
    def storage_url(self) -> str:
        return resolve_sqlite_url(self.base_dir, self.storage.url)

    @property
    def ops_channel(self) -> str:
        return self.slack.ops_channel or self.slack.channel

    @property
    def source_domains(self) -> tuple[str, ...]:
        return self.source.allowed_domains or (urlsplit(self.source.url).hostname or "",)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("base_dir")
        return data


def resolve_path(base_dir: str, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path(base_dir) / path


def resolve_sqlite_url(base_dir: str, url: str) -> str:
    """Relative SQLite paths are relative to the config file, like every other path."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        return prefix + str(resolve_path(base_dir, url[len(prefix) :]).resolve())
    return url


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is tuple:
        (item,) = {arg for arg in typing.get_args(hint) if arg is not Ellipsis}
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return tuple(_coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"{where}: unsupported type")  # pragma: no cover — no such fields
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)  # type: ignore[arg-type]
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) and hint is not bool:
        raise ConfigError(f"{where}: expected {_TYPE_NAMES.get(hint, hint)}, got {value!r}")
    if not isinstance(value, hint):
        raise ConfigError(f"{where}: expected {_TYPE_NAMES.get(hint, hint)}, got {value!r}")
    return value


def _build(cls: type[Any], data: Any, where: str) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "base_dir"}
    values = {}
    for key, value in data.items():
        path = f"{where}.{key}" if where else str(key)
        if key not in names:
            raise ConfigError(f"{path}: unknown key (known: {', '.join(sorted(names))})")
        values[key] = _coerce(value, hints[key], path)
    return cls(**values)


def load_config(path: Path | None) -> Config:
    """Load and validate; ``None`` or a missing default file gives the built-in defaults."""
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{line} not valid YAML") from exc
    try:
        config: Config = _build(Config, data, "")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    config = dataclasses.replace(config, base_dir=str(path.resolve().parent))
    check(config, path)
    return config


def check(config: Config, path: Path | str) -> None:
    """Cross-field rules a type check cannot express."""
    scheme = urlsplit(config.source.url).scheme
    if scheme not in ("http", "https"):
        raise ConfigError(f"{path}: source.url: expected an http(s) URL, got {config.source.url!r}")
    if config.schedule.cron and config.schedule.interval_seconds:
        raise ConfigError(f"{path}: schedule: set cron or interval_seconds, not both")
    if not config.storage.url.startswith(("sqlite:", "postgresql")):
        raise ConfigError(
            f"{path}: storage.url: expected sqlite:/// or postgresql://, got {config.storage.url.split(':')[0]!r}"
        )
    for key in config.alerts.watch:
        if ":" not in key:
            raise ConfigError(f"{path}: alerts.watch: {key!r} is not a key like 'TX:travis'")


def default_config_path(explicit: str | None) -> Path | None:
    """--config, else $DDOR_CONFIG, else ./config.yaml when it exists."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get("DDOR_CONFIG"):
        return Path(env)
    local = Path("config.yaml")
    return local if local.is_file() else None
