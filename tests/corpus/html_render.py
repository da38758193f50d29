"""Render a ``DocModel`` as HTML for a browser (headless Chromium) or an office suite
(LibreOffice Writer) to print; ``make_pdfs.py`` runs them. Each row's first cell is a link to
the row's id, which the PDF keeps as a link annotation (``readback.py``). One link a row keeps
the committed files small (each annotation costs ~1 KB); it marks the row's first page because
in the committed layouts a row that can break across pages has its cells top-aligned, and
rows whose cells are centred are kept whole (``break-inside: avoid``)."""

from __future__ import annotations

import html
import re

from tests.corpus.model import ROW_LINK, DocModel, Layout, TableModel

FAMILIES = {
    "serif": "'DejaVu Serif', 'Liberation Serif', serif",
    "sans": "'Liberation Sans', 'DejaVu Sans', sans-serif",
    "mono": "'DejaVu Sans Mono', 'Liberation Mono', monospace",
}
PAGE_SIZES = {"letter": "8.5in 11in", "legal": "8.5in 14in", "a4": "210mm 297mm"}
VALIGN = {"TOP": "top", "MIDDLE": "middle", "BOTTOM": "bottom"}


def _page_css(layout: Layout) -> str:
    width, height = PAGE_SIZES[layout.page].split()
    size = f"{height} {width}" if layout.landscape else f"{width} {height}"
    footer = {
        "page": '"Page " counter(page)',
        "page-of": '"Page " counter(page) " of " counter(pages)',
        "bare": "counter(page)",
    }.get(layout.footer)
    box = f"@bottom-center {{ content: {footer}; font-size: {layout.size}pt; }}" if footer else ""
    return f"@page {{ size: {size}; margin: 0.75in; {box} }}"


def _css(layout: Layout) -> str:
    border = {
        "grid": "border: 0.75pt solid #222;",
        "none": "border: none;",
        "horizontal": "border: none;",
    }[layout.rules]
    rules = [
        _page_css(layout),
        f"body {{ font-family: {FAMILIES[layout.family]}; font-size: {layout.size + 1}pt; }}",
        f"table {{ border-collapse: collapse; width: 100%; font-size: {layout.size}pt; "
        f"line-height: {layout.leading}; }}",
        f"td, th {{ {border} padding: {layout.padding}pt; vertical-align: {VALIGN[layout.valign]}; "
        "text-align: left; }",
        f"th {{ font-weight: {'bold' if layout.header_bold else 'normal'}; }}",
        "a { color: inherit; text-decoration: none; }",
        f"h2 {{ font-size: {layout.size + 3}pt; }}",
        f"h1 {{ font-size: {layout.size + 8}pt; text-align: center; }}",
        ".centre { text-align: center; font-weight: bold; }",
    ]
    if layout.rules == "horizontal":
        rules.append("th { border-bottom: 1pt solid #222; }")
    if layout.zebra:
        rules.append("tbody tr:nth-child(even) td { background: #e0e6f0; }")
    if layout.header_shade:
        rules.append("th { background: #c0c8d8; }")
    if not layout.split_rows:
        rules.append("tr { break-inside: avoid; page-break-inside: avoid; }")
    return "\n".join(rules)


def _no_break_after_hyphen(text: str) -> str:
    """``8- 11-08``: a break after "8-" would read back as one word, which the source never
    meant; keep such a pair on one line (a no-break space alone still lets a browser break
    after the hyphen). Escapes the text."""
    pieces = re.split(r"(\S+- \S+)", text)
    return "".join(
        f'<span style="white-space:nowrap">{html.escape(piece)}</span>' if index % 2 else html.escape(piece)
        for index, piece in enumerate(pieces)
    )


def _col_widths(table: TableModel) -> list[int]:
    """Percent widths from the column fractions, each at least its longest word (so that an
    office suite never breaks a date inside a word: "12/15/201" / "6")."""
    longest = [
        max(len(word) for row in [table.header, *table.rows] for word in row[index].split() or [""])
        for index in range(len(table.header))
    ]
    characters = sum(longest)
    shares = [max(f, 0.9 * n / characters) for f, n in zip(table.fractions, longest, strict=True)]
    return [round(100 * share / sum(shares)) for share in shares]


def _table(table: TableModel, layout: Layout) -> str:
    e = html.escape
    valign = VALIGN[layout.valign]
    header = "<tr>" + "".join(f'<th valign="{valign}">{e(h).replace(chr(10), "<br>")}</th>' for h in table.header)
    header += "</tr>"
    body = []
    for row_id, row in zip(table.row_ids, table.rows, strict=True):
        link = f"{ROW_LINK}{row_id}"
        texts = [_no_break_after_hyphen(value) for value in row]
        cells = [f'<td valign="{valign}"><a href="{link}">{texts[0]}</a></td>']
        cells += [f'<td valign="{valign}">{text}</td>' for text in texts[1:]]
        body.append("<tr>" + "".join(cells) + "</tr>")
    # Attributes as well as CSS: an office suite's HTML import reads the former only.
    border = 1 if layout.rules == "grid" else 0
    cols = "".join(f'<col width="{width}%">' for width in _col_widths(table))
    opening = (
        f'<table width="100%" border="{border}" cellspacing="0" cellpadding="{round(layout.padding)}">'
        f"<colgroup>{cols}</colgroup>"
    )
    if layout.repeat_header:
        return f"{opening}<thead>{header}</thead><tbody>{''.join(body)}</tbody></table>"
    return f"{opening}<tbody>{header}{''.join(body)}</tbody></table>"


def render(doc: DocModel, layout: Layout) -> str:
    e = html.escape
    out = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(' '.join(doc.title_lines))}</title>",
        f"<style>{_css(layout)}</style></head><body>",
        f"<p class='centre'>{e(doc.kicker)}</p>",
        f"<h1>{'<br>'.join(e(line) for line in doc.title_lines)}</h1>",
        f"<p class='centre'>{e(doc.period_line)}</p>",
        "<h2>Summary</h2>",
        *(f"<p>{e(text)}</p>" for text in doc.summary),
    ]
    if doc.contents:
        tag = "ul" if layout.contents == "bullets" else "div"
        item = "li" if layout.contents == "bullets" else "p"
        out.append(f"<{tag}>" + "".join(f"<{item}>{e(line)}</{item}>" for line in doc.contents) + f"</{tag}>")
    for section in doc.sections:
        out.append(f"<h2>{e(section.heading)}</h2>")
        out += [f"<p>{e(text)}</p>" for text in section.paragraphs]
        if section.table is not None:
            out.append(_table(section.table, layout))
    out.append("</body></html>")
    return "\n".join(out)
