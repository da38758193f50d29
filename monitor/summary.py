"""The headline figures of one report, computed from its rows (never typed by hand).

Offence categories map the report's "Notable Criminal Activity" labels (NCIC-style) to the
groups readers ask about. The mapping is deliberately small and documented here:

* traffic: ``Traffic Offense``, ``Hit and Run`` (DUI labels are counted separately as DUI);
* violent: assault, robbery, homicide, kidnapping, sexual assault, domestic violence, cruelty;
* homicide: labels containing "Homicide" or "Murder" or "Manslaughter".
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from parsers.jurisdictions import display_name, row_key
from parsers.models import Report

TRAFFIC = re.compile(r"^(traffic offense|hit and run)$", re.IGNORECASE)
DUI = re.compile(r"driving under influence|\bdui\b", re.IGNORECASE)
HOMICIDE = re.compile(r"homicide|murder|manslaughter", re.IGNORECASE)
VIOLENT = re.compile(
    r"assault|robbery|homicide|murder|manslaughter|kidnap|sexual|domestic violence|cruelty|"
    r"intimidation|weapon",
    re.IGNORECASE,
)


def offence_category(label: str) -> str:
    if HOMICIDE.search(label):
        return "homicide"
    if TRAFFIC.match(label.strip()):
        return "traffic"
    if DUI.search(label):
        return "dui"
    if VIOLENT.search(label):
        return "violent"
    return "other"


def summarize(report: Report) -> dict[str, Any]:
    declined = report.declined
    by_key: Counter[str] = Counter()
    labels: dict[str, str] = {}
    pages: dict[str, int] = {}
    for row in declined:
        key = row_key(row.county, row.state)
        by_key[key] += 1
        labels.setdefault(key, display_name(row.county, row.state))
        pages.setdefault(key, row.page)
    categories = Counter(offence_category(row.criminal_activity) for row in declined)
    top = by_key.most_common(1)
    homicides = [
        {"county": r.county, "state": r.state, "status": r.conviction_status, "page": r.page}
        for r in declined
        if offence_category(r.criminal_activity) == "homicide"
    ]
    return {
        "period_start": report.report.period_start,
        "period_end": report.report.period_end,
        "kind": report.report.kind,
        "issued": report.report.detainers_issued,
        "declined": len(declined),
        "facilities": len({(r.state, r.facility) for r in declined}),
        "states": len({r.state for r in declined}),
        "jurisdictions": len(by_key),
        "top": None
        if not top
        else {
            "key": top[0][0],
            "label": labels[top[0][0]],
            "declined": top[0][1],
            "share": round(top[0][1] / len(declined), 4),
            "page": pages[top[0][0]],
        },
        "top_issued": None
        if not report.issued
        else {
            "label": display_name(report.issued[0].county, report.issued[0].state, bare_county=True),
            "issued": report.issued[0].issued_detainers,
            "page": report.issued[0].page,
        },
        "categories": {name: categories.get(name, 0) for name in ("traffic", "dui", "violent", "homicide", "other")},
        "hit_and_run": sum(1 for r in declined if r.criminal_activity.lower() == "hit and run"),
        "homicides": homicides,
        "convicted": sum(1 for r in declined if r.conviction_status == "convicted"),
        "charged": sum(1 for r in declined if r.conviction_status == "charged"),
        "policies": len(report.policies),
        "pages": report.report.pages,
    }
