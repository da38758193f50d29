"""The site built the way a newsroom gets it: the bot crawls the ICE mirror on 127.0.0.1 (all
four reports, stage 2019-07-15), then the real ``ddor site build`` command writes the site.
Built once per session: the crawl takes seconds and every test here only reads the result."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ddor.mirror import MirrorServer
from tests.conftest import MIRROR, Env, make_env

ARTIFACTS = Path(__file__).parent / "artifacts"
REPORT_1 = "reports/weekly-2017-01-28.html"


@dataclass
class BuiltSite:
    env: Env
    out: Path
    stderr: str
    pdf_base: str  # the mirror's address, as the stored report URLs carry it

    def read(self, relative: str) -> str:
        return (self.out / relative).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltSite]:
    root = tmp_path_factory.mktemp("site")
    mirror = MirrorServer(MIRROR).start()
    try:
        mirror.stage = "2019-07-15"
        env = make_env(root / "bot", mirror, None)
        crawl = env.run("crawl")
        assert crawl.returncode == 0, crawl.stderr
        out = root / "public"
        build = env.run("site", "build", "--out", str(out))
        assert build.returncode == 0, build.stderr
        yield BuiltSite(env, out, build.stderr, mirror.base_url)
    finally:
        mirror.stop()
