"""The Declined Detainer (Outcome) Report: positioned words → a validated ``Report``.

Raw text this module expects (report #1, 2017; later reports reword the headings)::

    ENFORCEMENT AND REMOVAL OPERATIONS
    Weekly Declined Detainer Outcome Report
    For Recorded Declined Detainers Jan. 28 – Feb. 3, 2017
    ...
    Section I: Highest Volume of Detainers Issued to Non-Cooperative Jurisdictions between
    January 28, 2017, and February 3, 2017
    During the week of January 28, 2017, through February 3, 2017, ICE issued 3,083 detainers
    ... (157 to these ten jurisdictions during the reporting period) ...
    County, State          Issued Detainers
    Clark, Nevada          51
    Section II: Jurisdictions with Recorded Declined Detainers ...
    State County Facility Citizenship Notable Criminal Activity Detainer Issued Detainer Declined
    TX    Travis County  Travis County Jail  Mexico  Dangerous Drugs (Charged)  10/16/2010  2/1/2017
    Section III: Table of Jurisdictions that have Enacted Policies which Limit Cooperation with ICE
    State  Jurisdiction  Policy  Criteria for Honoring Detainer  Date Enacted
    Section IV: Report Scope and Data Fidelity

The quarterly series ("Declined Detainer Report", "Fiscal Year 2018, Second Quarter") keeps
the same skeleton. Headings are matched by their section number, never by their wording.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from parsers.errors import NotAReport
from parsers.jurisdictions import split_county_state
from parsers.magic import check_magic
from parsers.models import DeclinedRow, IssuedRow, Kind, PolicyRow, Report, ReportMeta
from parsers.pdftext import Word, read_pages
from parsers.states import STATE_NAMES, state_code
from parsers.tables import (
    ColumnSpec,
    HeaderGroup,
    Line,
    RawRow,
    build_rows,
    column_boundaries,
    group_lines,
    is_header_line,
    label_header,
)

DEFAULT_MAX_PAGES = 500


def _spec(name: str, *keywords: str) -> ColumnSpec:
    return ColumnSpec(name, frozenset(keywords))


@dataclass(frozen=True)
class TableSpec:
    columns: tuple[ColumnSpec, ...]
    extra_vocabulary: frozenset[str]

    @property
    def vocabulary(self) -> frozenset[str]:
        words = set(self.extra_vocabulary)
        for column in self.columns:
            words |= column.keywords
        return frozenset(words)

    def index(self, name: str) -> int:
        return [c.name for c in self.columns].index(name)


# Header words by meaning: each column lists the spellings a report could use for it, so
# "Country of Citizenship", "Nationality" and "Citizenship" all name one column. A header band
# is accepted when its word groups can be given one distinct column each (in any order).
ISSUED_TABLE = TableSpec(
    (
        _spec("place", "county", "state", "jurisdiction", "location", "name", "locality"),
        _spec("count", "issued", "detainers", "number", "count", "total", "volume"),
    ),
    frozenset({"of", "total", "and", "no"}),
)
DECLINED_TABLE = TableSpec(
    (
        _spec("state", "state", "st"),
        _spec("county", "county", "jurisdiction", "parish", "borough", "locality"),
        _spec("facility", "facility", "jail", "institution", "detention", "agency", "center", "centre"),
        _spec("citizenship", "citizenship", "country", "nationality", "citizen"),
        _spec("activity", "notable", "criminal", "activity", "offense", "offence", "charge", "crime", "history"),
        _spec("issued", "issued", "issue", "lodged"),
        _spec("declined", "declined", "decline", "released", "release", "refused"),
    ),
    frozenset({"detainer", "date", "of", "name", "or", "and", "the"}),
)
POLICY_TABLE = TableSpec(
    (
        _spec("state", "state", "st"),
        _spec("jurisdiction", "jurisdiction", "county", "location", "city", "locality", "agency"),
        _spec("policy", "policy", "policies", "ordinance", "law", "rule"),
        _spec("criteria", "criteria", "criterion", "honoring", "honouring", "conditions", "condition"),
        _spec("enacted", "enacted", "enactment", "date", "effective", "adopted"),
    ),
    frozenset({"for", "detainer", "detainers", "of", "name", "or", "and", "the", "type"}),
)

_HEADING = re.compile(r"^Section\s+(IV|III|II|I|[1-4])\s*[:.\-–—]", re.IGNORECASE)
_ARABIC = {"1": "I", "2": "II", "3": "III", "4": "IV"}
# "3", "Page 3", "Page 3 of 35", "3 / 35", "- 3 -": a page-number footer, whatever the producer.
_FOOTER = re.compile(
    r"^[-–—]?\s*(?:page\s+)?(?P<page>\d{1,4})(?:\s*(?:of|/)\s*(?P<total>\d{1,4}))?\s*[-–—]?$", re.IGNORECASE
)
_TITLE = re.compile(r"Declined\s+Detainer\s+(Outcome\s+)?Report", re.IGNORECASE)
# Counts above this are not a week's or a quarter's detainers, whatever the cell says.
MAX_PLAUSIBLE_COUNT = 10_000_000
_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# The dash is optional: text layers of the real reports dropped it ("Feb 4 Feb 10, 2017").
_PERIOD = re.compile(
    rf"(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}}),?\s*(?P<y1>\d{{4}})?,?\s*"
    rf"(?:[–—\-]|to|through|and)?\s*(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}}),?\s*(?P<y2>\d{{4}})",
    re.IGNORECASE,
)
_NUMERIC_PERIOD = re.compile(
    r"(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})\s*(?:[–—\-]|to|through|and)\s*(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
_ISSUED_NATIONALLY = re.compile(r"ICE\s+issued\s+([\d,]+)\s+detainers", re.IGNORECASE)
_STATED_TOP = re.compile(r"\(([\d,]+)\s+to\s+these\s+(\w+)\s+jurisdictions", re.IGNORECASE)
_NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
_MARKER = re.compile(r"\s*[\(\[]\s*(convicted|charged)\s*[\)\]]\s*$|\s+[-–—]\s*(convicted|charged)$", re.IGNORECASE)
_DATE_MDY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATE_WORDS = re.compile(rf"^({_MONTH})\s+(\d{{1,2}}),\s*(\d{{4}})$", re.IGNORECASE)
# A sign is accepted here so that a negative count becomes a row that validation names,
# not a stray line.
_DATE_PIECES = re.compile(r"[\d/\- ]+")
# The first line of a date broken inside the word by a narrow column ("12/15/201", "2/3/").
_DATE_START = re.compile(r"^\d{1,2}/\d{1,2}/\d{0,3}$")
_COUNT = re.compile(r"^[-−]?(\d{1,3}(,\d{3})+|\d+)$")


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _month(name: str) -> int:
    return _MONTHS[name.lower().rstrip(".")[:3]]


def parse_date(text: str) -> str | None:
    """``2/1/2017``, ``2017-02-01`` or ``Feb. 1, 2017`` → ``2017-02-01``; else None."""
    text = text.strip()
    try:
        if m := _DATE_MDY.match(text):
            year = int(m.group(3))
            year += 2000 if year < 100 else 0
            return dt.date(year, int(m.group(1)), int(m.group(2))).isoformat()
        if m := _DATE_ISO.match(text):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        if m := _DATE_WORDS.match(text):
            return dt.date(int(m.group(3)), _month(m.group(1)), int(m.group(2))).isoformat()
    except ValueError:
        return None
    return None


def parse_date_cell(text: str) -> str | None:
    """A table cell's date; a date a narrow column broke inside the word ("12/15/201" / "6",
    joined as ``12/15/201 6``) is read with the break removed."""
    iso = parse_date(text)
    if iso is None and " " in text and _DATE_PIECES.fullmatch(text):
        iso = parse_date(text.replace(" ", ""))
    return iso


def parse_period(text: str) -> tuple[str, str] | None:
    """The first date range in ``text``: ``Jan. 28 – Feb. 3, 2017`` (or ``1/28/2017 – 2/3/2017``)
    → ISO start and end."""
    m = _PERIOD.search(text)
    numeric = _NUMERIC_PERIOD.search(text)
    if numeric and (not m or numeric.start() < m.start()):
        start_iso, end_iso = parse_date(numeric.group(1)), parse_date(numeric.group(2))
        return (start_iso, end_iso) if start_iso and end_iso and start_iso <= end_iso else None
    if not m:
        return None
    try:
        end = dt.date(int(m.group("y2")), _month(m.group("m2")), int(m.group("d2")))
        start_year = int(m.group("y1")) if m.group("y1") else end.year
        start = dt.date(start_year, _month(m.group("m1")), int(m.group("d1")))
    except (ValueError, KeyError):
        return None
    if start > end and not m.group("y1"):  # a week across New Year: "Dec 30 – Jan 5, 2018"
        start = start.replace(year=end.year - 1)
    if start > end:
        return None
    return start.isoformat(), end.isoformat()


def split_activity(text: str) -> tuple[str, str | None]:
    """``Arson (Convicted)`` → (``Arson``, ``convicted``); no marker → (text, None)."""
    m = _MARKER.search(text)
    if not m:
        return text, None
    status = (m.group(1) or m.group(2)).lower()
    return text[: m.start()].rstrip(), status


def _drop_footer(lines: list[Line]) -> tuple[list[Line], int | None]:
    """Drop the page-number footer (a page number that is the lowest line of the page, set
    apart from the text above); also return the page total it states ("Page 3 of 35"), if any."""
    m = _FOOTER.match(_fold(lines[-1].text)) if lines else None
    if m and (len(lines) == 1 or lines[-2].y - lines[-1].y > 1.5 * lines[-1].size):
        total = m.group("total")
        return lines[:-1], int(total) if total else None
    return lines, None


@dataclass
class _Section:
    number: str
    lines: list[Line]


def _heading_number(line: Line) -> str | None:
    m = _HEADING.match(line.text)
    if m is None:
        return None
    number = m.group(1).upper()
    return _ARABIC.get(number, number)


def _contents_lines(lines: Sequence[Line], found: Sequence[tuple[int, str]]) -> set[int]:
    """Indexes of headings that are entries of a table of contents, not the start of a section.

    A contents entry is followed, on the same page and within a few (wrapped) lines, by the
    next entry; a section's heading is followed by its text or table. Both the entries of a
    run of such headings and the run's last entry are contents lines."""
    contents: set[int] = set()
    order = ("I", "II", "III", "IV")
    for (index, number), (following, next_number) in zip(found, found[1:], strict=False):
        same_page = lines[index].page == lines[following].page
        # Entries run upwards (I, II, III …); the contents' last entry may be followed at
        # once by the first real heading ("Section IV" entry, then "Section I:"), never paired.
        ascending = order.index(next_number) > order.index(number)
        if same_page and ascending and following - index <= 3:
            contents.update((index, following))
    return contents


def _sections(lines: Sequence[Line]) -> dict[str, _Section]:
    """Each section's lines, heading first. A section starts at a heading that begins its
    content, never at a contents line; of the remaining headings of one number the last
    wins, in order (a running reference to a section can repeat its heading's words)."""
    found = [(i, n) for i, line in enumerate(lines) if (n := _heading_number(line)) is not None]
    contents = _contents_lines(lines, found)
    found = [(i, n) for i, n in found if i not in contents]
    chosen: dict[str, int] = {}
    limit = len(lines)
    for number in ("IV", "III", "II", "I"):
        candidates = [i for i, n in found if n == number and i < limit]
        if candidates:
            chosen[number] = candidates[-1]
            limit = candidates[-1]
    starts = sorted((i, n) for n, i in chosen.items())
    sections: dict[str, _Section] = {}
    ends = [start for start, _ in starts[1:]] + [len(lines)] * bool(starts)
    for (start, number), end in zip(starts, ends, strict=True):
        sections[number] = _Section(number, list(lines[start:end]))
    return sections


@dataclass(frozen=True)
class _Header:
    start: int  # first line of the header band
    end: int  # one past its last line
    groups: list[HeaderGroup]  # the header's column groups, left to right
    names: list[str]  # the column each group stands for


def _find_header(lines: Sequence[Line], table: TableSpec) -> _Header | None:
    """The header band: consecutive lines one leading apart made only of header words, whose
    word groups can each be named after a distinct column. Every line may start a band (a
    wrapped header's top line can hold a single word: "Criteria" over "for Honoring")."""
    vocabulary = table.vocabulary
    for start, line in enumerate(lines):
        if not is_header_line(line, vocabulary):
            continue
        end = start + 1
        while end < len(lines) and end - start < 6 and is_header_line(lines[end], vocabulary):
            # Header lines sit one leading apart; the first data line is further (cell padding),
            # and may itself be all header words ("County" wrapped from "County Jails' Decision").
            if lines[end - 1].y - lines[end].y >= 1.6 * max(lines[end].size, 1.0):
                break
            end += 1
        # A band that swallowed a data line all of header words: try it shorter too.
        for stop in range(end, start, -1):
            labelled = label_header(lines[start:stop], table.columns, table.extra_vocabulary)
            if labelled is not None:
                return _Header(start, stop, *labelled)
    return None


def _without_repeated_headers(lines: list[Line], table: TableSpec) -> list[Line]:
    """Data lines less any further header band on the page (a producer that repeats the
    header above a row it carried over from a page break can print it mid-page)."""
    while (header := _find_header(lines, table)) is not None:
        lines = lines[: header.start] + lines[header.end :]
    return lines


@dataclass
class _Table:
    rows: list[RawRow]
    orphans: list[Line]
    found: bool
    # Page column index of each of the table spec's columns (the printed order may differ).
    order: list[int]

    def cells(self, raw: RawRow, count: int) -> list[str]:
        return [raw.cell(self.order[index]) for index in range(count)]


def _read_table(section: _Section, table: TableSpec, anchor: str) -> _Table:
    """Split a section's lines into pages, find each page's header and columns, build rows."""
    by_page: dict[int, list[Line]] = {}
    for line in section.lines[1:]:
        by_page.setdefault(line.page, []).append(line)
    pages: list[tuple[list[Line], list[float], float | None]] = []
    boundaries: list[float] | None = None
    # The last header's column groups and the words of its page's data.
    last_header: tuple[list[HeaderGroup], list[Word]] | None = None
    order = list(range(len(table.columns)))
    for page_lines in by_page.values():
        header = _find_header(page_lines, table)
        header_y: float | None = None
        if header is not None:
            data = _without_repeated_headers(page_lines[header.end :], table)
            words = [w for line in data for w in line.words]
            boundaries = column_boundaries(header.groups, words)
            last_header = (header.groups, words)
            header_y = page_lines[header.end - 1].y
            order = [header.names.index(column.name) for column in table.columns]
        elif last_header is None:
            continue  # prose before the table's first header (the section's introduction)
        else:
            # A producer that does not repeat the header row: the same columns, with gutters
            # read from this page's data as well (a cell here may reach further right).
            data = page_lines
            groups, header_words = last_header
            boundaries = column_boundaries(groups, header_words + [w for line in data for w in line.words])
        assert boundaries is not None
        pages.append((data, boundaries, header_y))
    anchor_index = order[table.index(anchor)]
    key_index = order[0]

    def is_anchor(cells: list[list[Word]]) -> bool:
        text = " ".join(w.text for w in cells[anchor_index])
        if anchor == "count":
            return bool(_COUNT.match(text))
        if anchor == "declined":
            return parse_date(text) is not None or bool(_DATE_START.match(text))
        return bool(text)

    def continues(cells: list[list[Word]]) -> bool:
        return not cells[key_index]

    rows, orphans = build_rows(pages, is_anchor, continues, anchor_index)
    return _Table(rows, orphans, boundaries is not None, order)


def parse_count(text: str) -> int | None:
    """``1,386`` → 1386; a minus sign is kept so that validation can name it; else None."""
    folded = text.replace("−", "-").replace(",", "").strip()
    return int(folded) if re.fullmatch(r"-?\d+", folded) else None


def _issued_rows(table: _Table, problems: list[str]) -> list[IssuedRow]:
    rows = []
    for raw in table.rows:
        place, count_text = table.cells(raw, 2)
        county, state = split_county_state(place)
        count = parse_count(count_text)
        if state is None:
            problems.append(f"Section I p.{raw.page}: no state in {place!r}")
            continue
        if count is None:
            problems.append(f"Section I p.{raw.page}: unreadable count {count_text!r} for {place!r}")
            continue
        rows.append(IssuedRow(county, state, count, raw.page))
    return rows


def _declined_rows(table: _Table, problems: list[str]) -> list[DeclinedRow]:
    rows = []
    for raw in table.rows:
        state_text, county, facility, citizenship, activity, issued, declined = table.cells(
            raw, len(DECLINED_TABLE.columns)
        )
        state = state_code(state_text)
        if state is None:
            problems.append(f"Section II p.{raw.page}: unknown state {state_text!r}")
            state = state_text
        for name, value in zip(
            ("county", "facility", "citizenship", "activity"), (county, facility, citizenship, activity), strict=True
        ):
            if not value:
                problems.append(f"Section II p.{raw.page}: empty {name} cell")
        offence, status = split_activity(activity)
        issued_iso = parse_date_cell(issued)
        if issued and issued_iso is None:
            problems.append(f"Section II p.{raw.page}: unreadable issued date {issued!r}")
        rows.append(
            DeclinedRow(
                state=state,
                county=county,
                facility=facility,
                citizenship=citizenship,
                criminal_activity=offence,
                conviction_status=status,  # type: ignore[arg-type]
                detainer_issued=issued_iso,
                detainer_declined=parse_date_cell(declined),
                page=raw.page,
            )
        )
    return rows


def _policy_rows(table: _Table, problems: list[str]) -> list[PolicyRow]:
    rows = []
    for raw in table.rows:
        state_text, jurisdiction, policy, criteria, enacted = table.cells(raw, len(POLICY_TABLE.columns))
        state = state_code(state_text)
        if state is None:
            problems.append(f"Section III p.{raw.page}: unknown state {state_text!r}")
            state = state_text
        if not jurisdiction:
            problems.append(f"Section III p.{raw.page}: empty jurisdiction cell")
        if state_code(jurisdiction) == state and state in STATE_NAMES:
            jurisdiction = STATE_NAMES[state]
        rows.append(PolicyRow(jurisdiction, state, policy, criteria, enacted, raw.page))
    return rows


def find_title(lines: Sequence[Line]) -> str:
    """The report's title, whitespace folded: the first line where "Declined Detainer (Outcome)
    Report" begins, joined with the one or two lines it wraps onto (same size, one leading
    below). "For Recorded Declined Detainers …" is the period line, never the title."""
    for index, line in enumerate(lines):
        text = _fold(line.text)
        if text.lower().startswith("for "):
            continue
        for extra in range(3):
            block = lines[index : index + extra + 1]
            if len(block) < extra + 1 or not _wraps(block):
                break
            joined = _fold(" ".join(part.text for part in block))
            m = _TITLE.search(joined)
            if m and m.start() < len(text):  # the title starts on this line, not a later one
                return joined
    return ""


def _wraps(block: Sequence[Line]) -> bool:
    """Consecutive lines of one paragraph: same page, same size, one leading apart."""
    return all(
        above.page == below.page
        and abs(above.size - below.size) < 0.5
        and 0 < above.y - below.y < 1.6 * max(below.size, 1.0)
        for above, below in zip(block, block[1:], strict=False)
    )


def _metadata(page_one: Sequence[Line], full_text: str) -> tuple[str, Kind, tuple[str, str] | None]:
    title = find_title(page_one[:15])
    header_text = " ".join(_fold(line.text) for line in page_one[:15])
    period = None
    for line in page_one[:20]:
        if re.match(r"For\s+Recorded\s+Declined\s+Detainers", line.text, re.IGNORECASE):
            period = parse_period(line.text)
    if period is None:
        between = re.search(r"between\s+(.{10,60}?\d{4}),?\s+and\s+(.{6,30}?\d{4})", full_text)
        if between:
            period = parse_period(f"{between.group(1)} – {between.group(2)}")
    kind: Kind = "weekly"
    if re.search(r"quarter", title + " " + header_text, re.IGNORECASE):
        kind = "quarterly"
    elif "weekly" not in title.lower() and period:
        days = (dt.date.fromisoformat(period[1]) - dt.date.fromisoformat(period[0])).days
        kind = "quarterly" if days > 31 else "weekly"
    return title, kind, period


@dataclass
class _Parsed:
    """What the sections yield; ``problems`` in report order, each naming its section."""

    issued: list[IssuedRow]
    declined: list[DeclinedRow]
    policies: list[PolicyRow]
    detainers_issued: int | None
    stated: dict[str, int]
    problems: list[str]


def _read_sections(sections: dict[str, _Section]) -> _Parsed:
    parsed = _Parsed([], [], [], None, {}, [])
    for number, table, anchor in (
        ("I", ISSUED_TABLE, "count"),
        ("II", DECLINED_TABLE, "declined"),
        ("III", POLICY_TABLE, "enacted"),
    ):
        section = sections.get(number)
        if section is None:
            parsed.problems.append(f"Section {number} heading not found")
            continue
        section_problems: list[str] = []
        try:
            _read_section(number, section, table, anchor, parsed, section_problems)
        except (ValueError, IndexError, KeyError) as exc:
            # One section's unexpected layout must not cost the others their rows.
            section_problems.append(f"Section {number}: table unreadable ({type(exc).__name__}: {exc})")
        parsed.problems.extend(section_problems)
    return parsed


def _read_section(
    number: str, section: _Section, table: TableSpec, anchor: str, parsed: _Parsed, problems: list[str]
) -> None:
    found = _read_table(section, table, anchor)
    if not found.found:
        problems.append(f"Section {number}: table header not found")
    for line in found.orphans:
        problems.append(f"Section {number} p.{line.page}: table line not in any row: {line.text!r}")
    if number == "I":
        parsed.issued = _issued_rows(found, problems)
        text = _fold(" ".join(line.text for line in section.lines))
        if m := _ISSUED_NATIONALLY.search(text):
            parsed.detainers_issued = int(m.group(1).replace(",", ""))
        else:
            problems.append("Section I: national detainers-issued figure not found")
        if m := _STATED_TOP.search(text):
            parsed.stated["top_total"] = int(m.group(1).replace(",", ""))
            if m.group(2).lower() in _NUMBER_WORDS:
                parsed.stated["top_rows"] = _NUMBER_WORDS[m.group(2).lower()]
    elif number == "II":
        parsed.declined = _declined_rows(found, problems)
    else:
        parsed.policies = _policy_rows(found, problems)


def _page_accounting(page_count: int, stated_totals: Sequence[int], empty_pages: Sequence[int]) -> list[str]:
    """Report-wide problems: pages the footers promise that the file lacks, pages without text."""
    problems = []
    if stated_totals and max(stated_totals) != page_count:
        problems.append(f"the page footers count {max(stated_totals)} pages, the file has {page_count}")
    if empty_pages:
        listed = ", ".join(str(n) for n in empty_pages[:5]) + (" …" if len(empty_pages) > 5 else "")
        problems.append(f"{len(empty_pages)} page(s) without text (scanned?): p.{listed}")
    return problems


def parse_report(data: bytes, max_pages: int = DEFAULT_MAX_PAGES) -> Report:
    """Parse a DDOR PDF. Raises a ``ParseError`` when the file is not a readable DDOR; returns
    a report whose ``problems`` list what failed self-validation otherwise."""
    check_magic(data)
    pages = list(read_pages(data, max_pages))
    lines: list[Line] = []
    stated_totals: list[int] = []
    for page in pages:
        page_lines, total = _drop_footer(group_lines(page.words, page.number))
        lines.extend(page_lines)
        if total is not None:
            stated_totals.append(total)
    page_one = [line for line in lines if line.page == 1]
    full_text = _fold(" ".join(line.text for line in lines))
    title, kind, period = _metadata(page_one, full_text)
    sections = _sections(lines)
    if not title or ("I" not in sections and "II" not in sections):
        raise NotAReport("not a Declined Detainer (Outcome) Report: no title or sections found")
    problems: list[str] = []
    if period is None:
        problems.append("no reporting period found on page 1")
        period = ("", "")
    empty_pages = [page.number for page in pages if not page.words]
    problems.extend(_page_accounting(len(pages), stated_totals, empty_pages))
    parsed = _read_sections(sections)
    problems.extend(parsed.problems)
    problems.extend(validate(parsed.issued, parsed.declined, period, parsed.stated, parsed.detainers_issued))
    meta = ReportMeta(
        kind, title, period[0], period[1], len(pages), parsed.detainers_issued, hashlib.sha256(data).hexdigest()
    )
    return Report(meta, tuple(parsed.issued), tuple(parsed.declined), tuple(parsed.policies), tuple(problems))


def implausible_counts(issued: Sequence[IssuedRow], detainers_issued: int | None) -> list[str]:
    """Counts no report could print: negative, above the report's own national total, or
    above ``MAX_PLAUSIBLE_COUNT``; each names its page and cell."""
    problems = []
    if detainers_issued is not None and detainers_issued > MAX_PLAUSIBLE_COUNT:
        problems.append(f"Section I: national total {detainers_issued:,} is above {MAX_PLAUSIBLE_COUNT:,}")
    for row in issued:
        cell = f"Section I p.{row.page}: count {row.issued_detainers:,} for {row.county}, {row.state}"
        if row.issued_detainers < 0:
            problems.append(f"{cell} is negative")
        elif row.issued_detainers > MAX_PLAUSIBLE_COUNT:
            problems.append(f"{cell} is above {MAX_PLAUSIBLE_COUNT:,}")
        elif detainers_issued is not None and row.issued_detainers > detainers_issued:
            problems.append(f"{cell} is above the national total {detainers_issued:,}")
    return problems


def validate(
    issued: Sequence[IssuedRow],
    declined: Sequence[DeclinedRow],
    period: tuple[str, str],
    stated: dict[str, int],
    detainers_issued: int | None = None,
) -> list[str]:
    """Cross-checks of the parsed rows against what the report says about itself."""
    problems = implausible_counts(issued, detainers_issued)
    if "top_total" in stated and sum(r.issued_detainers for r in issued) != stated["top_total"]:
        problems.append(
            f"Section I rows sum to {sum(r.issued_detainers for r in issued)}, the text states {stated['top_total']}"
        )
    if "top_rows" in stated and len(issued) != stated["top_rows"]:
        problems.append(f"Section I has {len(issued)} rows, the text states {stated['top_rows']}")
    start, end = period
    outside = [
        r for r in declined if r.detainer_declined is None or (start and not start <= r.detainer_declined <= end)
    ]
    if outside:
        first = outside[0]
        problems.append(
            f"Section II: {len(outside)} declined date(s) missing or outside {start}..{end} "
            f"(first on p.{first.page}: {first.detainer_declined})"
        )
    return problems
