"""Soak (issue #15): the real ``ddor daemon`` on a short interval walks the mirror through all
its stages while faults land at random on the mirror (503s), on Slack (500, reset before and
after accepting, 429 with Retry-After, answers slower than the client's timeout) and on the
cycles (SIGKILL of a cycle; SIGKILL of the daemon's process group, then a restart). When it
settles, every report is stored once and every alert is in Slack exactly once.

Minutes, not hours: ``pytest -m slow tests/test_soak.py -s`` prints the seed; replay one with
``DDOR_SOAK_SEED=<seed>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ddor.mirror import LISTING_PATH, STAGES, MirrorServer
from storage import Store
from tests.conftest import REPORT_STEMS, REPORTS, Env, make_env
from tests.crawler.test_crawl import respond
from tests.ddor.test_daemon import start, stop, wait_for
from tests.fakes.slack import FakeSlack, Fault

pytestmark = pytest.mark.sqlite_only

STAGE_SECONDS = 30.0  # each stage held ~10 cycles of 2 s (fewer on a busy machine)
SETTLE_SECONDS = 120.0  # generous: a drain may be backing off (up to 30 s) when faults stop
SLACK_TIMEOUT = 2.0
PDF_PATHS = [f"/doclib/ddor/{stem}.pdf" for stem in REPORT_STEMS]
# What the stage walk must tell reporters (tests/monitor/test_cycle.py walks it without faults).
EXPECTED_CONTENT = Counter({"baseline": 2, "digest": 2, "note": 3})


def soak_seed() -> int:
    return int(os.environ.get("DDOR_SOAK_SEED") or time.time_ns() % 1_000_000_007)


def content_kind(key: str) -> str:
    return "note" if key.startswith("note:") else key.rsplit(":", 1)[-1]


def content_counts(slack: FakeSlack) -> Counter[str]:
    keys = [m["metadata"]["event_payload"]["alert_key"] for m in slack.alerts() if m["channel"] == "#ddor-alerts"]
    return Counter(content_kind(key) for key in keys)


def stage_pdfs(mirror: MirrorServer, stage: str) -> set[str]:
    page = (mirror.root / "pages" / f"{stage}.html").read_text()
    return {path for path in PDF_PATHS if path in page}


def our_processes(marker: str) -> list[int]:
    """Every live process started for this test (daemons, cycles, crawl children, and cycles
    orphaned by a killed daemon), found by a marker in their environment: cycles read their
    config from stdin, so the command line does not tell them apart."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:  # gone, or not ours
            continue
        if f"DDOR_SOAK_MARK={marker}".encode() in environ.split(b"\0"):
            found.append(int(proc.name))
    return found


def describe_processes(pids: list[int]) -> str:
    """Who is still alive and where it waits: enough to tell a stuck cycle from a busy one."""
    lines = []
    for pid in pids:
        try:
            status = dict(
                line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line
            )
            wchan = Path(f"/proc/{pid}/wchan").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        lines.append(f"  pid {pid} ppid {status.get('PPid')} {status.get('State')} wchan {wchan}: {command}")
    return "\n".join(lines) or "  none"


class Soak:
    """The daemon under test and the faults thrown at it, all drawn from one seeded RNG."""

    def __init__(self, env: Env, mirror: MirrorServer, slack: FakeSlack, rng: random.Random, seed: int) -> None:
        self.env, self.mirror, self.slack, self.rng, self.seed = env, mirror, slack, rng, seed
        self.daemon = start(env)
        self.injected: Counter[str] = Counter()

    def mirror_503(self) -> None:
        path = self.rng.choice([LISTING_PATH, *PDF_PATHS])
        self.mirror.overrides[path] = respond(503, b"busy", times=self.rng.randint(1, 3))
        self.injected["mirror 503 listing" if path == LISTING_PATH else "mirror 503 pdf"] += 1

    def slack_post_fault(self) -> None:
        name, fault = self.rng.choice(
            [
                ("500", Fault(status=500, error="internal_error")),
                ("reset before accept", Fault(reset_before_accept=True)),
                ("drop (reset after accept)", Fault(reset_after_accept=True)),
                ("429", Fault(status=429, error="ratelimited", headers={"Retry-After": "1"})),
                ("slow answer", Fault(delay=SLACK_TIMEOUT + 1.5)),
            ]
        )
        self.slack.fail("chat.postMessage", fault)
        self.injected[f"slack post {name}"] += 1

    def slack_history_fault(self) -> None:
        # The fake applies drops and delays to posts only: a read fails with these.
        name, fault = self.rng.choice(
            [
                ("500", Fault(status=500, error="internal_error")),
                ("reset", Fault(reset_before_accept=True)),
                ("429", Fault(status=429, error="ratelimited", headers={"Retry-After": "1"})),
            ]
        )
        self.slack.fail("conversations.history", fault)
        self.injected[f"slack history {name}"] += 1

    def kill_cycle(self) -> None:
        if not wait_for(lambda: bool(self.cycles()), self.rng.uniform(0.5, 4)):
            return
        cycle = self.cycles()[0]
        time.sleep(self.rng.uniform(0, 1.5))  # anywhere in the cycle: crawl, parse, delivery
        if cycle not in self.cycles():
            return  # it finished first
        try:
            if self.rng.random() < 0.5:
                os.kill(cycle, signal.SIGKILL)  # the cycle alone: its crawl child is orphaned
                self.injected["SIGKILL cycle"] += 1
            else:
                os.killpg(cycle, signal.SIGKILL)  # the cycle and its crawl child
                self.injected["SIGKILL cycle group"] += 1
        except ProcessLookupError:
            pass  # it finished first

    def kill_daemon(self) -> None:
        os.killpg(self.daemon.pid, signal.SIGKILL)
        self.daemon.wait()
        time.sleep(self.rng.uniform(0, 3))
        self.daemon = start(self.env)
        self.injected["SIGKILL daemon + restart"] += 1

    def cycles(self) -> list[int]:
        """The daemon's direct children: the cycle (if one is running)."""
        children = []
        for task in Path(f"/proc/{self.daemon.pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                children += [int(pid) for pid in task.read_text().split()]
        return children

    def inject_one(self) -> None:
        actions: list[tuple[float, Callable[[], None]]] = [
            (3, self.mirror_503),
            (4, self.slack_post_fault),
            (2, self.slack_history_fault),
            (2, self.kill_cycle),
            (0.6, self.kill_daemon),
        ]
        [action] = self.rng.choices([a for _, a in actions], weights=[w for w, _ in actions])
        action()

    def walk(self) -> None:
        seen: set[str] = set()
        for stage in STAGES:
            # A PDF is fetched once, when it first appears: that is when a 503 on it matters.
            new = stage_pdfs(self.mirror, stage) - seen
            seen |= new
            for path in new:
                if self.rng.random() < 0.5:
                    self.mirror.overrides[path] = respond(503, b"busy", times=self.rng.randint(1, 3))
                    self.injected["mirror 503 new pdf"] += 1
            self.mirror.stage = stage
            until = time.monotonic() + STAGE_SECONDS
            while time.monotonic() < until:
                time.sleep(self.rng.uniform(0.5, 3.0))
                self.inject_one()
            if self.daemon.poll() is not None:
                log = self.log_tail()
                raise AssertionError(f"seed {self.seed}: daemon exited {self.daemon.returncode}\n{log}")

    def calm(self) -> dict[str, int]:
        """Stop injecting; returns how many faults actually landed (queued ones may not have)."""
        unused_slack = sum(len(queued) for queued in self.slack.faults.values())
        self.mirror.overrides.clear()
        self.slack.faults.clear()
        queued_slack = sum(n for name, n in self.injected.items() if name.startswith("slack"))
        return {
            "mirror 503s served": sum(1 for entry in self.mirror.log if entry.status == -1),
            "slack faults hit": queued_slack - unused_slack,
        }

    def stop_daemon(self) -> int:
        """SIGTERM once the daemon is up: before its handlers are installed (a restart moments
        ago) SIGTERM's default action ends it with -15 instead of a clean exit 0."""
        started = f"daemon started (pid {self.daemon.pid})"
        path = self.env.root / "daemon.log"
        assert wait_for(lambda: started in path.read_text(errors="replace"), 30), f"seed {self.seed}: not started"
        return stop(self.daemon)

    def log_tail(self, lines: int = 60) -> str:
        path = self.env.root / "daemon.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


@pytest.fixture
def seed() -> Iterator[int]:
    value = soak_seed()
    print(f"soak seed {value}")
    yield value
    print(f"soak seed {value} (replay with DDOR_SOAK_SEED={value})")


@pytest.mark.slow
def test_soak_every_report_stored_once_every_alert_in_slack_once(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack, seed: int
) -> None:
    env = make_env(
        tmp_path,
        mirror,
        slack,
        {
            "source": {"download_delay_seconds": 0, "retries": 1},
            "slack": {"timeout_seconds": SLACK_TIMEOUT, "min_seconds_between_posts": 0},
            "schedule": {"interval_seconds": 2, "run_timeout_seconds": 20, "stop_grace_seconds": 5},
        },
    )
    env.env["DDOR_SOAK_MARK"] = uuid.uuid4().hex
    store = env.store()
    try:
        soak_and_settle(env, mirror, slack, store, seed)
        check_reports(store.reports.all(), seed)
        check_alerts(store.outbox.alerts(), slack, seed)
    finally:
        store.close()


def soak_and_settle(env: Env, mirror: MirrorServer, slack: FakeSlack, store: Store, seed: int) -> None:
    """Walk the stages under faults, let the daemon settle, stop it; no process of ours outlives this."""
    marker = env.env["DDOR_SOAK_MARK"]
    try:
        soak = Soak(env, mirror, slack, random.Random(seed), seed)
        soak.walk()
        landed = soak.calm()

        # The last stage fully processed and the outbox drained.
        def settled() -> bool:
            unsent = store.outbox.alerts(states=("pending", "sending"))
            return len(store.reports.all()) >= 4 and not unsent and content_counts(slack) >= EXPECTED_CONTENT

        done = wait_for(settled, SETTLE_SECONDS)
        print(f"soak seed {seed}: injected {dict(soak.injected)}, landed {landed}")
        # Not a soak if nothing misbehaved (the RNG makes both near certain over the walk).
        assert landed["mirror 503s served"] and landed["slack faults hit"], f"seed {seed}: {landed}"
        assert done, (
            f"seed {seed}: not settled in {SETTLE_SECONDS:g} s: reports {len(store.reports.all())}, "
            f"outbox {store.outbox.counts()}, in Slack {dict(content_counts(slack))}\n"
            f"processes:\n{describe_processes(our_processes(marker))}\n{soak.log_tail()}"
        )
        assert soak.stop_daemon() == 0, f"seed {seed}: daemon did not stop cleanly\n{soak.log_tail()}"
        # Killed cycles (by us, or the daemon's own timeout) are closed, never left "running".
        unfinished = [r for r in store.runs.last(10_000) if not r["finished_at"]]
        assert not unfinished, f"seed {seed}: runs left open: {unfinished}"
    finally:
        for pid in our_processes(marker):  # never leave a daemon (or an orphaned cycle) polling
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def check_reports(reports: list[Any], seed: int) -> None:
    shas = [r.sha256 for r in reports]
    mirror_shas = {hashlib.sha256((REPORTS / f"{stem}.pdf").read_bytes()).hexdigest() for stem in REPORT_STEMS}
    assert len(shas) == len(set(shas)) == 4, f"seed {seed}: reports stored {Counter(shas)}"
    assert set(shas) == mirror_shas, f"seed {seed}: stored {shas}, mirror has {mirror_shas}"
    assert sorted(r.url.rsplit("/", 1)[-1] for r in reports) == sorted(f"{s}.pdf" for s in REPORT_STEMS), seed


def check_alerts(outbox: list[Any], slack: FakeSlack, seed: int) -> None:
    in_slack = Counter(slack.alert_keys())
    twice = {key: n for key, n in in_slack.items() if n > 1}
    assert not twice, f"seed {seed}: posted more than once: {twice}"
    states = Counter(a.state for a in outbox)
    assert set(states) == {"sent"}, f"seed {seed}: outbox {dict(states)}: " + "; ".join(
        f"{a.key} {a.state} {a.last_error}" for a in outbox if a.state != "sent"
    )
    assert {a.key for a in outbox} == set(in_slack), f"seed {seed}: outbox and Slack disagree"
    assert content_counts(slack) == EXPECTED_CONTENT, f"seed {seed}: content alerts {dict(content_counts(slack))}"
    reported = {key.split(":")[0] for key in in_slack if key.endswith((":baseline", ":digest"))}
    assert len(reported) == 4, f"seed {seed}: baselines and digests name {reported}"
    assert not slack.violations, f"seed {seed}: {slack.violations}"


def test_our_processes_finds_only_marked_ones() -> None:
    marker = uuid.uuid4().hex
    child = subprocess.Popen(["sleep", "30"], env={**os.environ, "DDOR_SOAK_MARK": marker})
    try:
        # /proc shows the new environment once the exec has completed (Popen may return first).
        assert wait_for(lambda: our_processes(marker) == [child.pid], 5), our_processes(marker)
        assert our_processes(uuid.uuid4().hex) == []
    finally:
        child.kill()
        child.wait()


def test_stage_pdfs_are_the_reports_each_stage_links(mirror: MirrorServer) -> None:
    firsts = [stage_pdfs(mirror, stage) for stage in STAGES]
    assert firsts[0] == {PDF_PATHS[0]} and firsts[1] == set(PDF_PATHS[:2])
    assert firsts[-1] == set(PDF_PATHS)


def test_the_final_checks_catch_a_double_post_and_an_undelivered_alert() -> None:
    slack = FakeSlack()
    posted = {"channel": "#ddor-ops", "metadata": {"event_payload": {"alert_key": "ops:x"}}}
    slack.ledger += [posted, posted]
    sent = SimpleNamespace(key="ops:x", state="sent", last_error=None)
    with pytest.raises(AssertionError, match="posted more than once"):
        check_alerts([sent], slack, 7)
    slack.ledger.pop()
    dead = SimpleNamespace(key="ops:y", state="dead", last_error="channel_not_found")
    with pytest.raises(AssertionError, match="ops:y dead channel_not_found"):
        check_alerts([sent, dead], slack, 7)
