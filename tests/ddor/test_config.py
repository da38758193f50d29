"""config.yaml: the shipped file loads; errors name the file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from ddor.config import Config, ConfigError, load_config

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
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


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
