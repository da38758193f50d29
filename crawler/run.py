"""One crawl in this process: ``python -m crawler.run JOB.json RESULT.json``.

Always run in a fresh child process (Twisted's reactor cannot restart, and a hung crawl must
be killable); ``ddor/cycle.py`` does that and reads RESULT.json back.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.settings import crawl_settings
from crawler.spiders.ddor import DdorSpider
from storage.archive import Archive


def run_crawl(job: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    Archive(Path(job["archive_dir"])).clean_stale()
    process = CrawlerProcess(
        crawl_settings(job["source"], job["allowed_origins"], job["log_level"], job.get("robots_cache")),
        install_root_handler=job["log_level"] != "CRITICAL",
    )
    crawler = process.create_crawler(DdorSpider)
    process.crawl(crawler, job=job, result=result)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    result["finish_reason"] = stats.get("finish_reason")
    result["stats"] = {
        key: value
        for key, value in stats.items()
        if isinstance(value, int | float | str) and not key.startswith("log_count")
    }
    return result


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[1]).read_text())
    result = run_crawl(job)
    temp = Path(argv[2] + ".tmp")
    temp.write_text(json.dumps(result, default=str))
    temp.replace(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
