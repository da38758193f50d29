"""Positioned words → table rows, from geometry alone (pure; no pdfminer here).

The rules are chosen to hold for any producer, not one office suite:

* a *line* is the words sharing a baseline (within a quarter of the font size);
* columns are found from the header's words by meaning: the header band's word stacks are
  cut into one run per column so that each run's words name one distinct column (any order,
  headers wrapped over several lines, however tight the gutters); the boundary between two columns is the
  widest vertical gutter in the data between the two headers (cells are left-, right- or
  centre-aligned, so a column's data covers one unbroken x-interval);
* each row has an *anchor* column that is filled in every row (a count, a date); lines
  between two anchors go to the row across the widest vertical gap, which is top-aligned
  cells' padding or centred cells' padding alike; an anchor cell that wraps after a hyphen
  ("2015-08-" / "14") stays one anchor;
* lines above a page's first anchor are split the same way between the tail of the row the
  page break cut and the first row of the page;
* a cell wrapped over lines joins with one space, or with none after a word ending in a
  hyphen or slash glued to it (``Middlesex County-`` + ``Cambridge``, ``H.O.C.-`` + ``Billeri``).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from parsers.pdftext import Word


class Line(NamedTuple):
    page: int
    y: float
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def size(self) -> float:
        return max((word.size for word in self.words), default=0.0)


def group_lines(words: Sequence[Word], page: int) -> list[Line]:
    """Words → lines, top of the page first; words in a line left to right."""
    lines: list[Line] = []
    bucket: list[Word] = []
    bucket_y = 0.0
    for word in sorted(words, key=lambda w: -w.y):
        if bucket and abs(word.y - bucket_y) <= max(1.0, 0.25 * word.size):
            bucket.append(word)
            continue
        if bucket:
            lines.append(Line(page, bucket_y, tuple(sorted(bucket, key=lambda w: w.x0))))
        bucket, bucket_y = [word], word.y
    if bucket:
        lines.append(Line(page, bucket_y, tuple(sorted(bucket, key=lambda w: w.x0))))
    return lines


@dataclass(frozen=True)
class ColumnSpec:
    """A table column: its field name and the header words that identify it."""

    name: str
    keywords: frozenset[str]


@dataclass
class HeaderGroup:
    words: list[Word] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def text(self) -> str:
        return " ".join(w.text for w in sorted(self.words, key=lambda w: (-w.y, w.x0)))


def _tokens(text: str) -> list[str]:
    """Header words, lower case: ``County/Jurisdiction`` → ``county``, ``jurisdiction``."""
    return re.findall(r"[a-z]+", text.lower())


def is_header_line(line: Line, vocabulary: frozenset[str]) -> bool:
    """True when every word of the line is one of the table's header words."""
    # Word by word, stopping at the first stranger: most lines asked about are data lines.
    found = False
    for word in line.words:
        tokens = _tokens(word.text)
        if any(token not in vocabulary for token in tokens):
            return False
        found = found or bool(tokens)
    return found


def header_groups(lines: Sequence[Line]) -> list[HeaderGroup]:
    """Cluster header words into columns: overlapping in x, or one space apart on a line."""
    groups: list[HeaderGroup] = []
    for word in sorted((w for line in lines for w in line.words), key=lambda w: w.x0):
        for group in groups:
            overlaps = word.x0 < group.x1 and word.x1 > group.x0
            same_line_near = any(
                # 0.8 em: a space is 0.25 em in Times but 0.6 em in a monospaced font.
                abs(w.y - word.y) < 1.0 and word.x0 - w.x1 < 0.8 * word.size
                for w in group.words
            )
            if overlaps or same_line_near:
                group.words.append(word)
                break
        else:
            groups.append(HeaderGroup([word]))
    # A word can bridge two groups only after both exist; merge groups that now overlap.
    merged: list[HeaderGroup] = []
    for group in sorted(groups, key=lambda g: g.x0):
        if merged and group.x0 < merged[-1].x1:
            merged[-1].words.extend(group.words)
        else:
            merged.append(group)
    return merged


def header_stacks(lines: Sequence[Line]) -> list[HeaderGroup]:
    """Header words stacked over each other (overlapping in x, on any line of the band), left
    to right. A column's header is one or more neighbouring stacks ("Notable" "Criminal"
    "Activity" on one line; "Criteria for" over "Honoring" over "Detainer" is one stack)."""
    stacks: list[HeaderGroup] = []
    for word in sorted((w for line in lines for w in line.words), key=lambda w: w.x0):
        if stacks and word.x0 < stacks[-1].x1:
            stacks[-1].words.append(word)
        else:
            stacks.append(HeaderGroup([word]))
    return stacks


# Partitions tried per header band at most (C(14, 6) = 3003 covers 15 stacks into 7 columns).
_MAX_PARTITIONS = 5000


def label_header(
    lines: Sequence[Line], specs: Sequence[ColumnSpec], shared: frozenset[str]
) -> tuple[list[HeaderGroup], list[str]] | None:
    """The header band's column groups and names, found by meaning, not by spacing.

    The stacks are cut into as many neighbouring runs as there are columns; a run can stand
    for a column when it holds one of that column's words and otherwise only its words or
    ``shared`` ones ("of", "Detainer"); the columns must be named one-to-one (any order). Of
    the cuts that work, the one whose narrowest cut gap is widest wins: a cell's own word
    spaces are narrower than the gutter between cells, however tight the table."""
    stacks = header_stacks(lines)
    keys = tuple(
        (frozenset(t for w in stack.words for t in _tokens(w.text)), round(stack.x0, 1), round(stack.x1, 1))
        for stack in stacks
    )
    found = _best_cuts(keys, tuple(specs), shared)
    if found is None:
        return None
    cuts, names = found
    bounds = [0, *cuts, len(stacks)]
    groups = [HeaderGroup([w for st in stacks[a:b] for w in st.words]) for a, b in itertools.pairwise(bounds)]
    return groups, list(names)


# A report repeats one header band on every page: the cut is worked out once per band.
@functools.lru_cache(maxsize=256)
def _best_cuts(
    stacks: tuple[tuple[frozenset[str], float, float], ...], specs: tuple[ColumnSpec, ...], shared: frozenset[str]
) -> tuple[tuple[int, ...], tuple[str, ...]] | None:
    if len(stacks) < len(specs) or math.comb(len(stacks) - 1, len(specs) - 1) > _MAX_PARTITIONS:
        return None
    best: tuple[float, tuple[int, ...], tuple[str, ...]] | None = None
    for cuts in itertools.combinations(range(1, len(stacks)), len(specs) - 1):
        bounds = [0, *cuts, len(stacks)]
        runs = [frozenset().union(*(tokens for tokens, _, _ in stacks[a:b])) for a, b in itertools.pairwise(bounds)]
        candidates = [
            [i for i, spec in enumerate(specs) if run & spec.keywords and run <= spec.keywords | shared] for run in runs
        ]
        chosen = _match(candidates, [-1] * len(runs), set())
        if chosen is None:
            continue
        narrowest = min((stacks[c][1] - stacks[c - 1][2] for c in cuts), default=0.0)
        if best is None or narrowest > best[0]:
            best = (narrowest, cuts, tuple(specs[i].name for i in chosen))
    return None if best is None else (best[1], best[2])


def _match(candidates: Sequence[Sequence[int]], chosen: list[int], taken: set[int]) -> list[int] | None:
    """A one-to-one choice of spec per group (backtracking; the most constrained group first)."""
    open_groups = [g for g, spec in enumerate(chosen) if spec < 0]
    if not open_groups:
        return chosen
    group = min(open_groups, key=lambda g: len([c for c in candidates[g] if c not in taken]))
    for spec in candidates[group]:
        if spec in taken:
            continue
        chosen[group] = spec
        taken.add(spec)
        if _match(candidates, chosen, taken) is not None:
            return chosen
        taken.discard(spec)
        chosen[group] = -1
    return None


def column_boundaries(groups: Sequence[HeaderGroup], data: Sequence[Word]) -> list[float]:
    """x-positions that separate adjacent columns: the widest data gutter between headers."""
    spans = sorted((w.x0, w.x1) for w in data)
    boundaries: list[float] = []
    for left, right in zip(groups, groups[1:], strict=False):
        lo, hi = left.center, right.center
        covered = [(max(a, lo), min(b, hi)) for a, b in spans if b > lo and a < hi]
        covered.sort()
        best: tuple[float, float] | None = None
        cursor = lo
        for a, b in covered:
            if a > cursor and (best is None or a - cursor > best[1] - best[0]):
                best = (cursor, a)
            cursor = max(cursor, b)
        if hi > cursor and (best is None or hi - cursor > best[1] - best[0]):
            best = (cursor, hi)
        if best is None:  # data bridges the headers: fall back to the gap between headers
            best = (left.x1, right.x0) if left.x1 < right.x0 else (lo, hi)
        boundaries.append((best[0] + best[1]) / 2)
    return boundaries


def split_line(line: Line, boundaries: Sequence[float]) -> list[list[Word]]:
    """A line's words per column, by each word's left edge."""
    cells: list[list[Word]] = [[] for _ in range(len(boundaries) + 1)]
    for word in line.words:
        index = 0
        while index < len(boundaries) and word.x0 >= boundaries[index]:
            index += 1
        cells[index].append(word)
    return cells


@dataclass
class RawRow:
    """A table row's lines, each split into columns; ``page`` is where its first line is."""

    page: int
    lines: list[tuple[Line, list[list[Word]]]] = field(default_factory=list)

    def cell(self, index: int) -> str:
        return join_wrapped([" ".join(w.text for w in cells[index]) for _, cells in self.lines])


_GLUED_BREAK = re.compile(r"\S[-/]$")


def join_wrapped(parts: Sequence[str]) -> str:
    """Join a wrapped cell's lines: a space, or nothing after a hyphen/slash glued to a word."""
    text = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if text and not _GLUED_BREAK.search(text):
            text += " "
        text += part
    return re.sub(r"\s+", " ", text)


def build_rows(
    pages: Sequence[tuple[list[Line], list[float], float | None]],
    is_anchor: Callable[[list[list[Word]]], bool],
    continues: Callable[[list[list[Word]]], bool],
    anchor_column: int = -1,
) -> tuple[list[RawRow], list[Line]]:
    """Rows from the data lines of consecutive pages (each with its column boundaries and the
    baseline of its header row's last line, if the page repeats the header).

    ``is_anchor`` says a line is a row's anchor line; ``continues`` says a line may be the tail
    of the previous page's last row (its key column is empty). Returns the rows and the lines
    no row could take (which the caller reports).
    """
    rows: list[RawRow] = []
    orphans: list[Line] = []
    split_pages = [[(line, split_line(line, boundaries)) for line in lines] for lines, boundaries, _ in pages]
    anchors_by_page = [_anchors(split, is_anchor, anchor_column) for split in split_pages]
    header_ys = [header_y for _, _, header_y in pages]
    # Lines at the foot of a page that begin a row whose anchor is on the next page.
    carried: list[tuple[Line, list[list[Word]]]] = []
    for index, (split, anchors, header_y) in enumerate(zip(split_pages, anchors_by_page, header_ys, strict=True)):
        if not anchors:
            if rows and all(continues(cells) for _, cells in [*carried, *split]):
                rows[-1].lines.extend([*carried, *split])
            else:
                orphans.extend(line for line, _ in [*carried, *split])
            carried = []
            continue
        head = split[: anchors[0]]
        if carried:
            # The row the page break cut began above: all the head is its rest.
            cut = 0
            head = [*carried, *head]
            carried = []
        else:
            cut = _tail_of_previous_row(head, split[anchors[0]][0], header_y, continues) if rows else 0
        if cut:
            rows[-1].lines.extend(head[:cut])
        page_rows = [RawRow(split[i][0].page) for i in anchors]
        page_rows[0].lines.extend(head[cut:])
        if head[cut:]:
            page_rows[0].page = head[cut][0].page
        more_pages = any(anchors_by_page[index + 1 :])
        for number, (start, end) in enumerate(zip(anchors, anchors[1:] + [len(split)], strict=True)):
            page_rows[number].lines.append(split[start])
            between = split[start + 1 : end]
            if end == len(split) and between and more_pages:
                keep = _row_end_at_page_foot(split[start][0], [line for line, _ in between])
                page_rows[number].lines.extend(between[:keep])
                carried = list(between[keep:])
                continue
            if end == len(split) or not between:
                page_rows[number].lines.extend(between)
                continue
            keep = _widest_gap(split[start][0], [line for line, _ in between], split[end][0])
            page_rows[number].lines.extend(between[:keep])
            page_rows[number + 1].lines.extend(between[keep:])
        rows.extend(page_rows)
    for row in rows:
        row.lines.sort(key=lambda item: (item[0].page, -item[0].y))
    return rows, orphans


def _anchors(
    split: Sequence[tuple[Line, list[list[Word]]]], is_anchor: Callable[[list[list[Word]]], bool], column: int
) -> list[int]:
    """Indexes of anchor lines. An anchor one line-pitch under the previous anchor, whose cell in
    the anchor column ended in a glued hyphen or slash, is that cell wrapping ("2015-08-" /
    "14" in a narrow date column; centred cells can interleave other lines), not a new row."""
    found: list[int] = []
    for index, (line, cells) in enumerate(split):
        if not is_anchor(cells):
            continue
        if found:
            above_line, above_cells = split[found[-1]]
            above = above_cells[column]
            close = above_line.y - line.y < 1.6 * max(line.size, 1.0)
            if close and above and _GLUED_BREAK.search(above[-1].text):
                continue
        found.append(index)
    return found


def _tail_of_previous_row(
    head: Sequence[tuple[Line, list[list[Word]]]],
    anchor: Line,
    header_y: float | None,
    continues: Callable[[list[list[Word]]], bool],
) -> int:
    """How many lines above a page's first anchor finish the previous page's last row.

    A row split by a page break leaves its tail at the top of the next page; lines of a
    first row whose cells are centred also sit above its anchor. Between the two lies the
    widest gap (cell padding), counted from the header row above; tail lines must also have an
    empty key column. Top-aligned office output: every head line is a tail line."""
    if not head:
        return 0
    top = [] if header_y is None else [header_y]
    ys = [*top, *(line.y for line, _ in head), anchor.y]
    gaps = [ys[i] - ys[i + 1] for i in range(len(ys) - 1)]
    widest = max(gaps)
    # The last widest gap wins a tie: with even spacing the head stays with the row above.
    index = max(i for i, gap in enumerate(gaps) if gap >= widest - 0.5)
    by_gap = index - len(top) + 1
    by_key = 0
    while by_key < len(head) and continues(head[by_key][1]):
        by_key += 1
    return max(0, min(by_gap, by_key))


def _row_end_at_page_foot(anchor: Line, below: Sequence[Line]) -> int:
    """How many of the lines under a page's last anchor are its row's; the rest begin a row
    the page break cut before its anchor. They are set apart by the widest gap, and only a gap
    of two font sizes or more counts: a row's own lines, interleaved or not, sit closer."""
    sequence = [anchor, *below]
    gaps = [sequence[i].y - sequence[i + 1].y for i in range(len(sequence) - 1)]
    widest = max(gaps)
    if widest < 2.0 * max(anchor.size, 1.0):
        return len(below)
    return gaps.index(widest)


def _widest_gap(first: Line, between: Sequence[Line], last: Line) -> int:
    """How many of ``between`` go with ``first``: split at the widest baseline gap.

    Ties go to the earlier row (top-aligned cells, the office-suite default).
    """
    sequence = [first, *between, last]
    gaps = [sequence[i].y - sequence[i + 1].y for i in range(len(sequence) - 1)]
    widest = max(gaps)
    # The last widest gap wins a tie: with equal spacing every line stays with the row above.
    index = max(i for i, gap in enumerate(gaps) if gap >= widest - 0.5)
    return index
