"""``ddor demo``: the bundled mirror served on 127.0.0.1, the bot run through its stages on a
temporary store. The main job of a fresh clone: it shows every alert kind on real reports."""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

from ddor.config import Config, ConfigError, StorageConfig, default_config_path, load_config
from ddor.cycle import Cycle
from ddor.mirror import STAGES, MirrorServer, bundled_mirror
from ddor.wiring import make_destination, open_store


def demo_config(base: Config, listing_url: str, work: Path) -> Config:
    source = dataclasses.replace(base.source, url=listing_url, allowed_domains=(), download_delay_seconds=0.0)
    storage = StorageConfig(url=f"sqlite:///{work / 'demo.sqlite3'}", archive_dir=str(work / "archive"))
    return dataclasses.replace(base, source=source, storage=storage, base_dir=str(work))


def run_demo(config_path: str | None, stages: list[str] | None, verbose: bool) -> int:
    root = bundled_mirror()
    if not (root / "pages").is_dir():
        print(f"ddor: demo mirror not found at {root} (a broken install: reinstall ddor-watch)", file=sys.stderr)
        return 2
    try:
        base = load_config(default_config_path(config_path))
    except ConfigError as exc:
        print(f"ddor: {exc}", file=sys.stderr)
        return 2
    chosen = stages or list(STAGES)
    unknown = [s for s in chosen if s not in STAGES]
    if unknown:
        print(f"ddor: --stages: unknown stage {unknown[0]!r} (known: {', '.join(STAGES)})", file=sys.stderr)
        return 2
    server = MirrorServer(root).start()
    worst = 0
    try:
        with tempfile.TemporaryDirectory(prefix="ddor-demo-") as work:
            config = demo_config(base, server.listing_url, Path(work))
            store = open_store(config)
            destination = make_destination(config)
            print(f"Serving the ICE mirror at {server.listing_url}; alerts → {destination.name}")
            for stage in chosen:
                server.stage = stage
                print(f"\n### The ICE page as of {stage}")
                result = Cycle(config, store, destination, trigger="demo", verbose=verbose).run()
                print(
                    f"(run {result.run_id}: {result.outcome}; new {len(result.new_reports)}, "
                    f"corrections {len(result.corrections)})"
                )
                worst = max(worst, result.exit_code)
            store.close()
    finally:
        server.stop()
    return worst


__all__ = ["run_demo"]
