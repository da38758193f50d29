"""Property tests of the pure text-to-rows layer: no input makes it raise, and what it
builds is consistent (every line lands in exactly one row or is reported as an orphan)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.ddor import parse_date, parse_period, split_activity
from parsers.pdftext import Glyph, Word, words_from_glyphs
from parsers.tables import Line, build_rows, column_boundaries, group_lines, header_groups, join_wrapped

coords = st.floats(min_value=0, max_value=800, allow_nan=False, allow_infinity=False)
sizes = st.floats(min_value=1, max_value=30, allow_nan=False, allow_infinity=False)
texts = st.text(min_size=1, max_size=12)
words = st.builds(
    lambda t, x, w, y, s: Word(t, x, x + w, y, s), texts, coords, st.floats(min_value=0.1, max_value=200), coords, sizes
)


@settings(max_examples=300, deadline=None)
@given(st.lists(words, max_size=60), st.lists(words, min_size=1, max_size=8))
def test_rows_from_random_words_never_raise_and_lose_nothing(data: list[Word], header: list[Word]) -> None:
    lines = group_lines(data, page=1)
    groups = header_groups([Line(1, 0, tuple(header))])
    boundaries = column_boundaries(groups, data)
    rows, orphans = build_rows(
        [(lines, sorted(boundaries), None)], lambda cells: bool(cells[-1]), lambda cells: not cells[0]
    )
    placed = sum(len(row.lines) for row in rows) + len(orphans)
    assert placed == len(lines)
    for row in rows:
        for index in range(len(boundaries) + 1):
            row.cell(index)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.builds(Glyph, st.text(min_size=1, max_size=2), coords, coords, coords, sizes), max_size=80))
def test_words_from_random_glyphs(glyphs: list[Glyph]) -> None:
    result = words_from_glyphs(glyphs)
    assert all(word.text and not word.text.isspace() for word in result)


@given(st.lists(st.text(max_size=20), max_size=6))
def test_join_wrapped_folds_whitespace(parts: list[str]) -> None:
    joined = join_wrapped(parts)
    assert "  " not in joined and joined == joined.strip()


@given(st.text(max_size=60))
def test_field_parsers_never_raise(text: str) -> None:
    parse_date(text)
    parse_period(text)
    offence, status = split_activity(text)
    assert status in (None, "convicted", "charged")
