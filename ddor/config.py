"""``config.yaml`` → frozen dataclasses. Defaults live here; the file holds what differs.

Unknown keys and wrong types are errors that name the file and the key path, e.g.
``config.yaml: alerts.min_abs_change: expected an integer, got 'ten'``.

The file is read as untrusted input (it may come from a shared checkout or a deploy tool): it
is refused, never obeyed, when it is over 1 MiB, not UTF-8, uses YAML aliases (a few lines of
anchors expand to gigabytes), nests deeper or holds more values than any configuration needs.
Error messages show at most 80 characters of any value.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import math
import os
import tempfile
import types
import typing
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from monitor.rules import RouteError, Thresholds, route_scopes
from parsers.isolated import Limits


class ConfigError(Exception):
    """A configuration problem; the message is one line naming the file and key."""


MAX_CONFIG_BYTES = 1024 * 1024
# The shipped config is 3 levels deep and holds ~50 values; these leave room for long
# watch lists while refusing documents whose only purpose is to exhaust the parser.
MAX_NESTING = 16
MAX_NODES = 20_000
SHOWN_CHARS = 80


def named(text: str) -> str:
    """A key or a path as it reads in an error: as is when short and printable, else :func:`shown`."""
    return text if text.isprintable() and len(text) <= SHOWN_CHARS else shown(text)


def shown(value: Any) -> str:
    """``repr(value)`` cut to :data:`SHOWN_CHARS`, for error messages: a hostile or mistaken
    value of a megabyte must not flood a terminal or a log line."""
    text = repr(value[: SHOWN_CHARS + 1]) if isinstance(value, str) else repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


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
    give_up_after_hours: float = 24.0
    timeout_seconds: float = 15.0


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
class SiteConfig:
    """The static site: built after each new report when ``out_dir`` is set; digests link to
    a report's page when ``base_url`` is set (where ``out_dir`` is published)."""

    out_dir: str = ""
    base_url: str = ""


@dataclass(frozen=True)
class Config:
    source: SourceConfig = field(default_factory=SourceConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    # The parser child's limits: the same dataclass the parser takes, so they cannot drift.
    parse: Limits = field(default_factory=Limits)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    base_dir: str = "."

    @property
    def archive_path(self) -> Path:
        return resolve_path(self.base_dir, self.storage.archive_dir)

    @property
    def storage_url(self) -> str:
        return resolve_sqlite_url(self.base_dir, self.storage.url)

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None (PostgreSQL, in-memory, a SQLite URI with options)."""
        prefix = "sqlite:///"
        rest = self.storage_url[len(prefix) :]
        if (
            not self.storage_url.startswith(prefix)
            or rest in ("", ":memory:")
            or rest.startswith("file:")
            or "?" in rest
        ):
            return None
        return Path(rest)

    @property
    def site_dir(self) -> Path | None:
        """``site.out_dir`` resolved against the config file; None when no site is wanted."""
        return resolve_path(self.base_dir, self.site.out_dir) if self.site.out_dir else None

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
            raise ConfigError(f"{where}: expected a list, got {shown(value)}")
        return tuple(_coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"{where}: unsupported type")  # pragma: no cover — no such fields
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)  # type: ignore[arg-type]
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        value = _as_float(value, where)
    if isinstance(value, bool) and hint is not bool:
        raise ConfigError(f"{where}: expected {_TYPE_NAMES.get(hint, hint)}, got {shown(value)}")
    if not isinstance(value, hint):
        raise ConfigError(f"{where}: expected {_TYPE_NAMES.get(hint, hint)}, got {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, got {shown(value)}")
    return value


def _as_float(value: int, where: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise ConfigError(f"{where}: expected a finite number, got {shown(value)}") from None


def _build(cls: type[Any], data: Any, where: str) -> Any:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {shown(data)}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name != "base_dir"}
    values = {}
    for key, value in data.items():
        name = named(str(key))
        path = f"{where}.{name}" if where else name
        if key not in names:
            raise ConfigError(f"{path}: unknown key (known: {', '.join(sorted(names))})")
        values[key] = _coerce(value, hints[key], path)
    return cls(**values)


def load_config(path: Path | None) -> Config:
    """Load and validate; ``None`` or a missing default file gives the built-in defaults."""
    if path is None:
        return Config()
    data = parse_yaml(read_config_text(path), path)
    try:
        config: Config = _build(Config, data, "")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    config = dataclasses.replace(config, base_dir=str(path.resolve().parent))
    check(config, path)
    return config


def read_config_text(path: Path) -> str:
    """The file's text, refused when over :data:`MAX_CONFIG_BYTES` or not UTF-8 (reading at
    most one byte past the cap, so a huge file or a device never fills memory)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES // 1024} KiB; refused (a config is a few KiB)")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ConfigError(f"{path}:1: UTF-16 text; save the file as UTF-8")
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise ConfigError(f"{path}:{line}: NUL byte (UTF-16 or a binary file?); save the file as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x}; Latin-1?); save the file as UTF-8"
        ) from None


class _RefusedYaml(yaml.YAMLError):
    """What :func:`check_events` refuses, at the place it refuses it."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


# libyaml scans ~50× faster than PyYAML's pure-Python scanner (a 1 MiB file: ~0.05 s, not
# 2-5 s); PyYAML is the fallback where it was built without libyaml.
_BaseLoader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
)


def check_events(text: str) -> None:
    """Refuse aliases (a few lines of anchors expand to gigabytes), nesting deeper than
    :data:`MAX_NESTING` and more than :data:`MAX_NODES` values, from the parser's event
    stream: flat and lazy, so a hostile document is refused before anything is built from
    it or recursed into (composing recurses once per nesting level)."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            raise _RefusedYaml("aliases (*name) are not allowed", event.start_mark)
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise _RefusedYaml(f"more than {MAX_NODES} values", event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise _RefusedYaml(f"nested deeper than {MAX_NESTING} levels", event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _MarkedLoader(_BaseLoader):  # type: ignore[valid-type,misc]  # chosen at import: C or Python
    """The safe loader, remembering the node being built, so that a value the constructor
    itself rejects (a date like 2017-13-45, an integer of 5000 digits) is reported at its
    line too."""

    mark: Any = None

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        self.mark = node.start_mark
        return super().construct_object(node, deep)


def parse_yaml(text: str, path: Path | str) -> Any:
    """One YAML document, checked by :func:`check_events` first; any failure is one
    ``path:LINE:`` error."""
    loader: Any = None
    try:
        check_events(text)
        loader = _MarkedLoader(text)
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{path}:{_line(mark)}: not valid YAML: {_clip(str(problem))}") from None
    except (ValueError, OverflowError, RecursionError) as exc:
        raise ConfigError(f"{path}:{_line(loader and loader.mark)}: not valid YAML: {_clip(str(exc))}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _line(mark: Any) -> str:
    return str(mark.line + 1) if mark is not None else "1"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def check(config: Config, path: Path | str) -> None:
    """Cross-field rules a type check cannot express."""
    scheme = urlsplit(config.source.url).scheme
    if scheme not in ("http", "https"):
        raise ConfigError(f"{path}: source.url: expected an http(s) URL, got {shown(config.source.url)}")
    if config.schedule.cron and config.schedule.interval_seconds:
        raise ConfigError(f"{path}: schedule: set cron or interval_seconds, not both")
    if not config.storage.url.startswith(("sqlite:", "postgresql")):
        raise ConfigError(
            f"{path}: storage.url: expected sqlite:/// or postgresql://, got {shown(config.storage.url.split(':')[0])}"
        )
    if config.site.base_url and urlsplit(config.site.base_url).scheme not in ("http", "https"):
        raise ConfigError(f"{path}: site.base_url: expected an http(s) URL, got {shown(config.site.base_url)}")
    for key in config.alerts.watch:
        if ":" not in key:
            raise ConfigError(f"{path}: alerts.watch: {shown(key)} is not a key like 'TX:travis'")
    try:
        route_scopes(config.alerts.routes)
    except RouteError as exc:
        raise ConfigError(f"{path}: alerts.routes{exc}") from None
    for name, value in (("storage.url", config.storage.url), ("storage.archive_dir", config.storage.archive_dir)):
        if problem := path_problem(value):
            raise ConfigError(f"{path}: {name}: {problem}")
    if problem := schedule_problem(config.schedule):
        raise ConfigError(f"{path}: {problem}")


def path_problem(value: str) -> str | None:
    """Why a configured path cannot be used, checked now rather than at the first write."""
    if "\0" in value:
        return "a path cannot hold a NUL character"
    try:
        Path(value).expanduser()
    except RuntimeError as exc:  # "~nobody-here/x": no such user
        return _clip(str(exc))
    return None


def schedule_problem(schedule: ScheduleConfig) -> str | None:
    """The daemon builds its trigger with APScheduler; the same parser judges the config at
    load time, so a bad cron or zone is refused before a SIGHUP reload has adopted it."""
    if schedule.timezone:
        # What APScheduler 3.x does with a zone name (its astimezone), without importing it
        # into every command that loads the config.
        try:
            zoneinfo.ZoneInfo(schedule.timezone)
        except (ValueError, LookupError, OSError):
            return f"schedule.timezone: unknown time zone {shown(schedule.timezone)} (e.g. America/New_York)"
    if schedule.cron:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone or None)
        except (ValueError, LookupError) as exc:
            return f"schedule.cron: {shown(schedule.cron)}: {_clip(str(exc))}"
    return None


def output_directories(config: Config) -> list[tuple[str, Path]]:
    """(key, directory) for every directory that commands which write put files in: the
    archive, the lock and daemon-state files beside it, the SQLite database's directory."""
    directories = [
        ("storage.archive_dir", config.archive_path),
        ("storage.archive_dir", config.archive_path.parent),
    ]
    if config.sqlite_path is not None:
        directories.append(("storage.url", config.sqlite_path.parent))
    return directories


def prepare_directories(config: Config) -> None:
    """Create the output directories (a fresh clone has no ``data/``) and prove each can be
    written, so a command that writes fails at once with the key to fix, not mid-run."""
    for key, directory in output_directories(config):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as exc:
            raise ConfigError(f"{key}: cannot write in {named(str(directory))}: {exc.strerror or exc}") from exc


def default_config_path(explicit: str | None) -> Path | None:
    """--config, else $DDOR_CONFIG, else ./config.yaml when it exists."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get("DDOR_CONFIG"):
        return Path(env)
    local = Path("config.yaml")
    return local if local.is_file() else None


def config_to_json(config: Config) -> str:
    """A validated configuration as JSON, for a child process that must run with exactly it
    (the daemon's cycles: the file on disk may have been edited badly since)."""
    return json.dumps({**config.to_dict(), "base_dir": config.base_dir})


def config_from_json(text: str) -> Config:
    data = json.loads(text)
    base_dir = data.pop("base_dir")
    config: Config = _build(Config, data, "")
    return dataclasses.replace(config, base_dir=base_dir)
