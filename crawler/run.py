"""One crawl in this process: ``python -m crawler.run JOB.json RESULT.json``, or
``python -m crawler.run -`` to read the job (naming its ``result_path``) from stdin.

Always run in a fresh child process (Twisted's reactor cannot restart, and a hung crawl must
be killable); ``ddor/cycle.py`` does that and reads the result back. The stdin form lets the
parent start this process first, so Scrapy is imported on one core while the parent opens
the store on the other, and hand it the job once it holds the cycle lock.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.result import CrawlResult
from crawler.settings import crawl_settings
from crawler.spiders.ddor import DdorSpider
from storage.archive import Archive


def run_crawl(job: dict[str, Any]) -> CrawlResult:
    result = CrawlResult()
    Archive(Path(job["archive_dir"])).clean_stale()
    process = CrawlerProcess(
        crawl_settings(job["source"], job["allowed_origins"], job["log_level"], job.get("robots_cache")),
        install_root_handler=job["log_level"] != "CRITICAL",
    )
    crawler = process.create_crawler(DdorSpider)
    process.crawl(crawler, job=job, result=result)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    result.finish_reason = stats.get("finish_reason")
    result.stats = {
        key: value
        for key, value in stats.items()
        if isinstance(value, int | float | str) and not key.startswith("log_count")
    }
    return result


def main(argv: list[str]) -> int:
    if argv[1] == "-":
        text = sys.stdin.read()
        if not text.strip():
            return 3  # the parent went away (or gave up on the lock) before sending a job
        job = json.loads(text)
        result_path = job["result_path"]
    else:
        job, result_path = json.loads(Path(argv[1]).read_text()), argv[2]
    result = run_crawl(job)
    temp = Path(result_path + ".tmp")
    temp.write_text(json.dumps(result.to_json(), default=str))
    temp.replace(result_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
