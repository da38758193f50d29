"""The corpus: each layout dresses one of the mirror's four reports (in turn) another way.

Together they cover issue #12 items 1–2: wrapped, plain, shaded and first-page-only header
bands, other header spellings, column orders, no rules, zebra rows, 7.5–12 pt serif / sans /
monospaced text, Letter, Legal, A4 and landscape pages, "Page N of M", bare and absent page
numbers, padded dates, state names, centred and bottom-aligned cells, rows broken across
pages, a title on two lines and a table of contents on page 1."""

from __future__ import annotations

from dataclasses import replace

from tests.corpus.model import STEMS, Layout

_SPECS: list[tuple[str, str, dict[str, object]]] = [
    ("times-letter-grid", "the baseline: Times 9 pt, ruled grid, Letter", {}),
    ("helvetica-landscape", "sans 8 pt, landscape Letter", {"family": "sans", "size": 8, "landscape": True}),
    ("courier-7.5pt", "monospaced 7.5 pt", {"family": "mono", "size": 7.5}),
    ("times-12pt-legal-landscape", "serif 12 pt, landscape Legal", {"size": 12, "page": "legal", "landscape": True}),
    ("no-rules", "no rules at all: whitespace columns", {"rules": "none"}),
    (
        "no-rules-tight",
        "no rules, 1 pt padding, leading 1.0: rows nearly touch",
        {"rules": "none", "padding": 1.0, "leading": 1.0},
    ),
    ("rule-under-header", "one rule under the header, none between rows", {"rules": "horizontal", "family": "sans"}),
    ("zebra-no-rules", "zebra-striped rows, no rules", {"rules": "none", "zebra": True}),
    ("zebra-grid-shaded-header", "zebra rows, grid, shaded header", {"zebra": True, "header_shade": True}),
    ("plain-shaded-header", "header neither bold (plain) but shaded", {"header_bold": False, "header_shade": True}),
    ("header-first-page-only", "header printed on the table's first page only", {"repeat_header": False}),
    ("wrapped-headers", "header cells wrapped over 2-3 lines (Date / Enacted …)", {"header_wrap": True}),
    (
        "wrapped-headers-centred",
        "wrapped header cells, cells centred vertically",
        {"header_wrap": True, "valign": "MIDDLE", "family": "sans"},
    ),
    ("columns-reversed", "every table's columns in reverse order", {"column_order": "reversed"}),
    ("columns-shuffled", "columns in another order", {"column_order": "shuffled", "family": "sans"}),
    ("alt-wording", "other header spellings (Country of Citizenship, Date of Enactment)", {"wording": "alt"}),
    ("terse-wording", "terse header spellings (St., Nationality, Offense)", {"wording": "terse", "family": "sans"}),
    ("centred-cells", "cells centred vertically", {"valign": "MIDDLE"}),
    ("bottom-cells", "cells bottom-aligned", {"valign": "BOTTOM", "family": "sans"}),
    ("a4-portrait", "A4 portrait", {"page": "a4"}),
    ("a4-landscape", "A4 landscape, sans 10 pt", {"page": "a4", "landscape": True, "family": "sans", "size": 10}),
    ("legal-portrait", "Legal portrait, serif 10 pt", {"page": "legal", "size": 10}),
    ("page-n-of-m", '"Page N of M" footers', {"footer": "page-of"}),
    ("bare-page-numbers", "bare page numbers", {"footer": "bare", "family": "sans"}),
    ("no-page-numbers", "no page numbers", {"footer": "none"}),
    ("padded-dates", "zero-padded dates (02/03/2017)", {"dates": "padded"}),
    ("state-names", "full state names in Sections II and III", {"states": "names", "landscape": True}),
    ("title-on-two-lines", "the title wraps onto two lines", {"title_wrap": True}),
    ("contents-bullets", "a bulleted table of contents on page 1", {"contents": "bullets"}),
    ("contents-plain", "a table of contents whose lines start 'Section I:'", {"contents": "plain"}),
    ("rows-split-across-pages", "rows broken across page breaks", {"split_rows": True}),
    (
        "rows-split-centred-no-rules",
        "rows broken across pages, centred cells, no rules",
        {"split_rows": True, "valign": "MIDDLE", "rules": "none"},
    ),
    (
        "mono-8pt-zebra-reversed-wrapped",
        "mono 8 pt, zebra, no rules, reversed columns, wrapped headers, centred",
        {
            "family": "mono",
            "size": 8,
            "zebra": True,
            "rules": "none",
            "column_order": "reversed",
            "header_wrap": True,
            "valign": "MIDDLE",
            "landscape": True,
        },
    ),
    (
        "sans-11pt-legal-everything",
        "sans 11 pt landscape Legal, Page N of M, two-line title, names, padded dates, first-page header",
        {
            "family": "sans",
            "size": 11,
            "page": "legal",
            "landscape": True,
            "footer": "page-of",
            "title_wrap": True,
            "states": "names",
            "dates": "padded",
            "repeat_header": False,
            "contents": "plain",
        },
    ),
    (
        "sans-7.5pt-no-rules-split",
        "sans 7.5 pt, no rules, tight, rows split, bottom-aligned, shuffled",
        {
            "family": "sans",
            "size": 7.5,
            "rules": "none",
            "padding": 1.5,
            "split_rows": True,
            "valign": "BOTTOM",
            "column_order": "shuffled",
        },
    ),
]

LAYOUTS: dict[str, Layout] = {
    name: replace(Layout(name, STEMS[index % len(STEMS)], varies), **options)  # type: ignore[arg-type]
    for index, (name, varies, options) in enumerate(_SPECS)
}
