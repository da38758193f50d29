"""The newsroom site: a static, self-contained HTML site built from the stored reports
(``ddor site build``, and after each new report when ``site.out_dir`` is set)."""

from monitor.site.build import SiteBuild, build_site
from monitor.site.urls import link_report_pages, report_page_url

__all__ = ["SiteBuild", "build_site", "link_report_pages", "report_page_url"]
