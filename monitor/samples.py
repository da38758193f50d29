"""A realistic set of alerts for ``ddor alert test``: one of each change kind plus ops."""

from __future__ import annotations

from storage.store import NewAlert

_REPORT = {
    "period_start": "2017-02-04",
    "period_end": "2017-02-10",
    "kind": "weekly",
    "title": "Weekly Declined Detainer Outcome Report",
    "url": "https://www.ice.gov/doclib/ddor/ddor2017_02-04to02-10.pdf",
    "sha256": "0" * 64,
    "pages": 25,
}
_SUMMARY = {
    "period_start": "2017-02-04",
    "period_end": "2017-02-10",
    "kind": "weekly",
    "issued": 2825,
    "declined": 47,
    "facilities": 23,
    "states": 9,
    "jurisdictions": 20,
    "top": {"key": "NY:kings", "label": "Kings County, NY", "declined": 5, "share": 0.1064, "page": 4},
    "top_issued": {"label": "Los Angeles County, CA", "issued": 104, "page": 2},
    "categories": {"traffic": 1, "dui": 5, "violent": 20, "homicide": 0, "other": 21},
    "hit_and_run": 0,
    "homicides": [],
    "convicted": 30,
    "charged": 17,
    "policies": 150,
    "pages": 25,
}


def sample_alerts() -> list[NewAlert]:
    previous_summary = {**_SUMMARY, "issued": 3083, "declined": 206}
    changes = [
        {
            "kind": "declined",
            "key": "TX:travis",
            "label": "Travis County, TX",
            "old": 142,
            "new": 2,
            "page": 9,
            "detail": "",
            "reason": "significant",
            "delta": -140,
        },
        {
            "kind": "declined",
            "key": "NY:kings",
            "label": "Kings County, NY",
            "old": 0,
            "new": 5,
            "page": 4,
            "detail": "",
            "reason": "new in table",
            "delta": 5,
        },
        {
            "kind": "issued",
            "key": "NY:new york",
            "label": "New York County, NY",
            "old": None,
            "new": 73,
            "page": 2,
            "detail": "",
            "reason": "new in table",
            "delta": 73,
        },
        {
            "kind": "issued",
            "key": "NY:nassau",
            "label": "Nassau County, NY",
            "old": 38,
            "new": None,
            "page": None,
            "detail": "",
            "reason": "left table",
            "delta": -38,
        },
        {
            "kind": "policy_added",
            "key": "CA:*",
            "label": "California",
            "old": None,
            "new": "California TRUST Act (AB 4)",
            "page": 7,
            "detail": "",
            "reason": "policy",
            "delta": 0,
        },
        {
            "kind": "policy_removed",
            "key": "NY:nassau",
            "label": "Nassau County, NY",
            "old": "County Sheriff's Office Decision",
            "new": None,
            "page": None,
            "detail": "",
            "reason": "policy",
            "delta": 0,
        },
    ]
    return [
        NewAlert(
            "test:digest",
            "digest",
            "content",
            {
                "kind": "digest",
                "report": _REPORT,
                "previous": {
                    **_REPORT,
                    "period_start": "2017-01-28",
                    "period_end": "2017-02-03",
                    "summary": previous_summary,
                },
                "summary": _SUMMARY,
                "changes": changes,
                "all_changes": 62,
                "missing_periods": [],
                "out_of_order": False,
                "later_period": None,
            },
        ),
        NewAlert(
            "test:ops",
            "ops_failure",
            "ops",
            {
                "kind": "ops_failure",
                "check": "crawl",
                "failures": 2,
                "error": "this is a test ops alert from `ddor alert test`",
            },
        ),
    ]
