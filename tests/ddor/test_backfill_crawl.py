"""``ddor backfill URL`` downloads through the crawler: a backfill keeps every rule a crawl keeps
(robots.txt, the source's origin, the size cap), and each refusal is named on the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ddor.mirror import MirrorServer
from tests.conftest import MIRROR, make_env
from tests.crawler.test_crawl import respond

R1 = "/doclib/ddor/ddor2017_01-28to02-03.pdf"
R2 = "/doclib/ddor/ddor2017_02-04to02-10.pdf"
R3 = "/doclib/ddor/ddor2017_02-11to02-17.pdf"


@pytest.fixture
def elsewhere() -> Iterator[MirrorServer]:
    server = MirrorServer(MIRROR).start()
    yield server
    server.stop()


def test_backfill_urls_keep_robots_origin_and_stored_sizes(
    tmp_path: Path, mirror: MirrorServer, elsewhere: MirrorServer
) -> None:
    mirror.overrides["/robots.txt"] = respond(200, f"User-agent: *\nDisallow: {R2}\n".encode(), times=5)
    env = make_env(tmp_path, mirror, None)
    result = env.run("backfill", mirror.base_url + R1, mirror.base_url + R2, elsewhere.base_url + R3)
    assert result.returncode == 1
    assert f"{mirror.base_url + R2}: refused" in result.stderr
    assert f"{elsewhere.base_url + R3}: refused" in result.stderr and "origin" in result.stderr
    assert mirror.requests_to("/robots.txt") and mirror.requests_to(R1)
    assert mirror.requests_to(R2) == [] and elsewhere.log == []
    [stored] = env.store().reports.all()
    assert stored.url == mirror.base_url + R1
    [document] = env.store().documents.for_sha(stored.sha256)
    assert document["size"] == (MIRROR / R1.lstrip("/")).stat().st_size


def test_backfill_url_over_the_size_cap_is_named(tmp_path: Path, mirror: MirrorServer) -> None:
    env = make_env(tmp_path, mirror, None, {"source": {"max_download_bytes": 20_000}})
    result = env.run("backfill", mirror.base_url + R1)
    assert result.returncode == 1
    assert f"{mirror.base_url + R1}: over the size cap of 20,000 bytes" in result.stderr
    assert env.store().reports.all() == []


def test_backfill_of_a_file_then_its_url_records_an_alias_not_a_second_report(
    tmp_path: Path, mirror: MirrorServer
) -> None:
    env = make_env(tmp_path, mirror, None)
    assert env.run("backfill", str(MIRROR / R1.lstrip("/"))).returncode == 0
    again = env.run("backfill", mirror.base_url + R1)
    assert again.returncode == 0, again.stderr
    [stored] = env.store().reports.all()
    assert [d["status"] for d in env.store().documents.for_sha(stored.sha256)] == ["report", "alias"]
