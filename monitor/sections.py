"""Degrade by section, not by report. Pure.

A report whose Section III cannot be read still carries news in Sections I and II: the
unreadable section is *withheld* (never diffed, so no false "policy removed" for every
jurisdiction) while the readable ones are diffed and posted as usual. A report is held
whole only when nothing in it can be trusted (its title or period unreadable, or no
section readable at all).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from parsers.models import Report

SECTIONS = ("issued", "declined", "policies")
HEADINGS = {"issued": "Section I", "declined": "Section II", "policies": "Section III"}
_SECTION_OF_CHANGE = {
    "issued": "issued",
    "declined": "declined",
    "policy_added": "policies",
    "policy_removed": "policies",
    "policy_changed": "policies",
}


def section_of(change_kind: str) -> str:
    """The report section a change comes from (``issued``, ``declined`` or ``policies``)."""
    return _SECTION_OF_CHANGE[change_kind]


def is_held(report: Report) -> bool:
    """True when no part of the report can be trusted: it is stored *suspect*, never diffed."""
    return bool(report.section_problems().get("report")) or set(SECTIONS) <= report.unreadable_sections()


def unreadable(report: Report) -> dict[str, str]:
    """Each unreadable section of a report that is not held whole, with its first problem."""
    problems = report.section_problems()
    return {section: (problems.get(section) or ("unreadable",))[0] for section in SECTIONS if problems.get(section)}


def withheld(previous: Report | None, new: Report) -> list[dict[str, Any]]:
    """The sections a digest must leave out, and why: unreadable in the new report, or in the
    report it is compared with (a diff against an unread section would invent changes)."""
    now, before = unreadable(new), unreadable(previous) if previous is not None else {}
    out = []
    for section in SECTIONS:
        if section in now:
            out.append({"section": section, "heading": HEADINGS[section], "reason": now[section]})
        elif section in before:
            reason = f"could not be read in the previous report ({before[section]})"
            out.append({"section": section, "heading": HEADINGS[section], "reason": reason})
    return out


def keep_readable(changes: Iterable[Any], withheld_sections: Iterable[str]) -> list[Any]:
    """Changes (``Change`` objects) from the sections that are not withheld."""
    skip = set(withheld_sections)
    return [change for change in changes if section_of(change.kind) not in skip]


def only_sections(changes: Iterable[Any], sections: Iterable[str]) -> list[Any]:
    """Changes (``Change`` objects) from the given sections only."""
    keep = set(sections)
    return [change for change in changes if section_of(change.kind) in keep]


def section_status(report: Report) -> dict[str, str]:
    """Per-section status for ``ddor reports``: ``ok`` or ``withheld: <first problem>``;
    every section reads ``held`` when the report is held whole."""
    if is_held(report):
        return dict.fromkeys(SECTIONS, "held")
    gone = unreadable(report)
    return {section: f"withheld: {gone[section]}" if section in gone else "ok" for section in SECTIONS}
