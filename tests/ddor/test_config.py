"""config.yaml: the shipped file loads; errors name the file and the key path."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddor.config import Config, ConfigError, load_config
from tests.conftest import config_error

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_loads_and_matches_the_defaults() -> None:
    config = load_config(REPO / "config.yaml")
    defaults = Config()
    assert config.to_dict()["source"] == defaults.to_dict()["source"]
    assert config.to_dict()["alerts"] == defaults.to_dict()["alerts"]
    assert config.slack.token_env == "SLACK_BOT_TOKEN" and config.ops_channel == "#ddor-ops"
    assert config.storage_url.startswith("sqlite:////") and config.storage_url.endswith("/data/ddor.sqlite3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alerts:\n  min_abs_change: ten\n", "alerts.min_abs_change: expected an integer, got 'ten'"),
        ("alerts:\n  treshold: 3\n", "alerts.treshold: unknown key"),
        ("sorce:\n  url: x\n", "sorce: unknown key"),
        ("slack: [1, 2]\n", "slack: expected a mapping"),
        ("alerts:\n  watch: TX:travis\n", "alerts.watch: expected a list"),
        ("parse:\n  memory_mb: true\n", "parse.memory_mb: expected an integer, got True"),
        ("source:\n  url: ftp://x/y\n", "source.url: expected an http(s) URL"),
        ("schedule:\n  cron: '1 * * * *'\n  interval_seconds: 60\n", "schedule: set cron or interval_seconds"),
        ("alerts: [\n", "not valid YAML"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path, error = config_error(tmp_path, text)
    assert error.startswith(str(path))
    assert message in error
    assert "\n" not in error


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.yaml"
    path.parent.mkdir()
    path.write_text("storage:\n  url: sqlite:///db.sqlite3\n  archive_dir: pdfs\n")
    config = load_config(path)
    assert config.archive_path == path.parent.resolve() / "pdfs"
    assert config.storage_url == f"sqlite:///{path.parent.resolve() / 'db.sqlite3'}"


# --- hostile files: refused in one line, quickly, never echoing a long value ----------------

ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "source:\n  user_agent: *c\n"
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (ALIAS_BOMB.encode(), ":2: not valid YAML: aliases (*name) are not allowed"),
        (b"base: &b {floor: 1}\nalerts:\n  <<: *b\n", ":3: not valid YAML: aliases"),
        (b"alerts:\n  watch: " + b"[" * 100 + b"]" * 100 + b"\n", ":2: not valid YAML: nested deeper than 16 levels"),
        (b"alerts:\n  watch: " + b"[" * 500_000 + b"]" * 500_000 + b"\n", ":2: not valid YAML: "),
        (b"a:\n" + b"".join(b" " * i + b"- \n" for i in range(1, 200)), ":17: not valid YAML: nested deeper than 16"),
        (b"alerts:\n  watch: [" + b"'TX:a'," * 100_000 + b"]\n", ":2: not valid YAML: more than"),
        ("source:\n  user_agent: 'café'\n".encode("latin-1"), ":2: not UTF-8 (byte 0xe9"),
        ("source:\n  user_agent: x\n".encode("utf-16"), ":1: UTF-16 text"),
        ("source:\n  user_agent: x\n".encode("utf-16-le"), ":1: NUL byte"),
        (b"# padding\n" * 110_000, ": larger than 1024 KiB; refused"),
        (b"source:\n  url: 2017-13-45\n", ":2: not valid YAML: month must be in 1..12"),
        (b"parse:\n  max_pages: " + b"9" * 5000 + b"\n", ":2: not valid YAML: Exceeds the limit"),
        (b"parse:\n  timeout_seconds: .nan\n", ": parse.timeout_seconds: expected a finite number"),
        (b"parse:\n  timeout_seconds: 1" + b"0" * 400 + b"\n", ": parse.timeout_seconds: expected a finite number"),
        (b"storage:\n  archive_dir: ~no-such-user-here/pdfs\n", ": storage.archive_dir: Could not determine home"),
    ],
)
def test_hostile_files_are_refused_in_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}{message}")
    assert "\n" not in str(caught.value) and len(str(caught.value)) < len(str(path)) + 200


def test_a_file_past_the_cap_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB of NULs costs nothing on disk
    with pytest.raises(ConfigError, match="larger than 1024 KiB"):
        load_config(path)


@pytest.mark.parametrize(
    "text",
    [
        "source:\n  user_agent: " + "u" * 100_000 + "\n",  # valid: loads; shown here only when wrong
        "alerts:\n  min_abs_change: " + "t" * 100_000 + "\n",
        "alerts:\n  watch: ['" + "k" * 100_000 + "']\n",
        "k" * 100_000 + ": 1\n",
        "source:\n  url: ftp://" + "h" * 100_000 + "\n",
        "schedule:\n  cron: '" + "1" * 100_000 + " * * * *'\n",
        "schedule:\n  timezone: " + "Z" * 100_000 + "\n",
    ],
)
def test_errors_never_echo_more_than_80_characters_of_a_value(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    try:
        load_config(path)
    except ConfigError as exc:
        longest_run = max(len(run) for run in re.findall(r"(.)\1*", str(exc)))
        assert longest_run <= 80 and len(str(exc)) < len(str(path)) + 400, str(exc)[:300]
    else:
        assert text.startswith("source:\n  user_agent:")


# --- the schedule is judged by APScheduler's own parser when the file is loaded ---------------


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("cron: '61 * * * *'", "schedule.cron: '61 * * * *': Error validating expression '61'"),
        ("cron: '* * *'", "schedule.cron: '* * *': Wrong number of fields"),
        ("cron: '*/0 * * * *'", "schedule.cron: '*/0 * * * *': Increment must be higher than 0"),
        ("timezone: Mars/Olympus_Mons", "schedule.timezone: unknown time zone 'Mars/Olympus_Mons'"),
        ("timezone: ../../etc/passwd", "schedule.timezone: unknown time zone"),
    ],
)
def test_a_bad_schedule_is_refused_at_load(tmp_path: Path, schedule: str, message: str) -> None:
    path, error = config_error(tmp_path, f"schedule:\n  {schedule}\n")
    assert error == f"{path}: {message}" or error.startswith(f"{path}: {message}")


@pytest.mark.parametrize("cron", ["17 * * * *", "0 6 * * mon-fri", "*/15 9-17 * * *"])
def test_good_cron_expressions_load(tmp_path: Path, cron: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"schedule:\n  cron: '{cron}'\n  timezone: Europe/Berlin\n")
    assert load_config(path).schedule.cron == cron


# --- any YAML document gives a config or one ConfigError, within a second ---------------------

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.dates(), st.binary(max_size=10)
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=10), st.integers()), inner, max_size=4)
    ),
    max_leaves=20,
)
# Documents shaped like a config (known sections and keys, any values), anything YAML can
# dump, and raw text with YAML's own punctuation.
_config_shaped = st.dictionaries(
    st.sampled_from([f.name for f in dataclasses.fields(Config) if f.name != "base_dir"] + ["extra"]),
    st.one_of(
        _values,
        st.dictionaries(
            st.sampled_from(["url", "cron", "timezone", "watch", "floor", "max_pages", "archive_dir", "retries"]),
            _values,
            max_size=3,
        ),
    ),
    max_size=4,
)
_yaml_text = st.text(
    st.sampled_from(list("abc:-[]{}&*!|>'\"#%@`?,\n \t0129.~\\") + ["é", "\x00", "\ufeff"]), max_size=60
)


@settings(max_examples=300, deadline=1000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        _config_shaped.map(yaml.safe_dump),
        _values.map(yaml.safe_dump),
        _yaml_text,
    ).map(lambda text: text.encode("utf-8", "surrogatepass"))
)
def test_any_document_gives_a_config_or_one_config_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    try:
        config = load_config(path)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(str(path)) and "\n" not in message
    else:
        assert isinstance(config, Config)
