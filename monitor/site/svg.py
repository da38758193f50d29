"""The site's two drawings as inline SVG, built here rather than in the browser.

Why server-side SVG and not a vendored JS map library (topojson-client + a renderer): the map
then needs no JavaScript at all (readers with JS off, screen readers and search engines get the
same page), hover values come from native ``<title>`` tooltips, nothing can fail to load from
``file://``, and the tests can check each county's value in the HTML. The cost is the county
geometry repeated on each report page (~0.3 MB of path data, measured; see the README's site
note), which stays small next to a 35-page PDF.

Colours: a 5-step viridis ramp for the map and the Okabe–Ito blue/orange pair for the charts,
both chosen to stay distinguishable under the common colour-vision deficiencies; every colour
also has its number beside it (legend, labels, tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from monitor.site.geo import VIEWBOX_HEIGHT, VIEWBOX_WIDTH, Atlas, Matching

# Declined counts per jurisdiction: fixed bins, so colours compare across reports.
BINS: tuple[tuple[int, int | None], ...] = ((1, 1), (2, 4), (5, 9), (10, 49), (50, None))
PALETTE = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")  # viridis, light = few
NONE_COLOUR = "#f2f2f2"
ISSUED_COLOUR, DECLINED_COLOUR = "#0072B2", "#E69F00"  # Okabe–Ito blue, orange


@dataclass(frozen=True)
class MapValue:
    """One jurisdiction's declined count, as the map and its tables show it."""

    key: str
    label: str
    declined: int
    page: int
    href: str  # its jurisdiction page, relative to the report page


def bin_index(count: int) -> int | None:
    for index, (low, high) in enumerate(BINS):
        if count >= low and (high is None or count <= high):
            return index
    return None


def bin_colour(count: int) -> str:
    index = bin_index(count)
    return NONE_COLOUR if index is None else PALETTE[index]


def legend() -> list[tuple[str, str]]:
    """(label, colour) per bin, "0" first."""
    items = [("0", NONE_COLOUR)]
    for (low, high), colour in zip(BINS, PALETTE, strict=True):
        label = str(low) if high == low else (f"{low}–{high}" if high is not None else f"{low} or more")
        items.append((label, colour))
    return items


def county_map(atlas: Atlas, values: Mapping[str, MapValue], matching: Matching, title: str) -> str:
    """The choropleth: one path per Census county in ``g.counties`` (``data-fips``, a
    ``<title>`` for hover, and ``data-value`` when it has declines), state borders on top,
    whole-state rows as a hatched state outline."""
    by_fips = {fips: values[key] for key, fips in matching.counties.items() if key in values}
    parts = [
        f'<svg class="map" viewBox="0 0 {VIEWBOX_WIDTH} {VIEWBOX_HEIGHT}" role="img" '
        f'aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="map-title">{escape(title)}</title>',
        '<defs><pattern id="statewide" width="60" height="60" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="20" height="60" fill="#440154" fill-opacity=".45"/>'
        "</pattern></defs>",
        f'<g class="counties" fill="{NONE_COLOUR}">',
    ]
    for county in atlas.counties:
        value = by_fips.get(county.fips)
        if value is None:
            # Most counties have none: they take the group's fill, and their markup stays
            # minimal (3,142 shapes on every report page).
            title = f"<title>{escape(county.label)}: 0</title>"
            parts.append(f'<path d="{county.path}" data-fips="{county.fips}">{title}</path>')
            continue
        parts.append(
            f'<a href="{escape(value.href)}"><path d="{county.path}" fill="{bin_colour(value.declined)}" '
            f'data-fips="{county.fips}" data-value="{value.declined}">'
            f"<title>{escape(value.label)}: {value.declined:,} declined</title></path></a>"
        )
    parts.append('</g><g class="states">')
    parts.extend(f'<path d="{state.path}"/>' for state in atlas.states.values())
    parts.append("</g>")
    for key, code in matching.states.items():
        if key in values:
            value = values[key]
            parts.append(
                f'<a href="{escape(value.href)}"><path class="statewide" d="{atlas.states[code].path}" '
                f'fill="url(#statewide)" data-key="{escape(key)}" data-value="{value.declined}">'
                f"<title>{escape(value.label)} (whole state): {value.declined:,} declined</title></path></a>"
            )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class SeriesPoint:
    label: str  # the period, e.g. "Jan 28 – Feb 3, 2017"
    short: str  # under the bars, e.g. "2017-01-28"
    issued: int | None  # None: not in Section I's top list
    declined: int
    has_policy: bool


def series_chart(points: Sequence[SeriesPoint], title: str) -> str:
    """Grouped bars (issued, declined) per report, each bar labelled with its value, a dot
    under the periods in which Section III lists a policy."""
    bar, gap, group_gap = 28, 4, 48
    top, bottom, left = 24, 70, 12
    plot_height = 180
    group = 2 * bar + gap
    width = left * 2 + len(points) * group + max(len(points) - 1, 0) * group_gap
    height = top + plot_height + bottom
    peak = max([p.declined for p in points] + [p.issued or 0 for p in points] + [1])
    parts = [
        f'<svg class="chart" viewBox="0 0 {max(width, 200)} {height}" width="{max(width, 200)}" height="{height}" '
        f'role="img" aria-labelledby="chart-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{escape(title)}</title>',
        f'<line x1="0" x2="{max(width, 200)}" y1="{top + plot_height}" y2="{top + plot_height}" stroke="#555"/>',
    ]
    for index, point in enumerate(points):
        x = left + index * (group + group_gap)
        for offset, value, colour, noun in (
            (0, point.issued, ISSUED_COLOUR, "issued"),
            (bar + gap, point.declined, DECLINED_COLOUR, "declined"),
        ):
            bar_x = x + offset
            if value is None:
                parts.append(
                    f'<text x="{bar_x + bar / 2}" y="{top + plot_height - 4}" class="na" text-anchor="middle">'
                    f"<title>{escape(point.label)}: not in Section I's list</title>n/a</text>"
                )
                continue
            bar_height = round(plot_height * value / peak, 1)
            bar_y = top + plot_height - bar_height
            parts.append(
                f'<rect x="{bar_x}" y="{bar_y}" width="{bar}" height="{bar_height}" fill="{colour}">'
                f"<title>{escape(point.label)}: {value:,} {noun}</title></rect>"
                f'<text x="{bar_x + bar / 2}" y="{bar_y - 4}" text-anchor="middle">{value:,}</text>'
            )
        centre = x + group / 2
        parts.append(
            f'<text x="{centre}" y="{top + plot_height + 16}" text-anchor="middle" class="period">'
            f"<title>{escape(point.label)}</title>{escape(point.short)}</text>"
        )
        if point.has_policy:
            parts.append(
                f'<circle cx="{centre}" cy="{top + plot_height + 32}" r="5" fill="#333">'
                f"<title>{escape(point.label)}: Section III lists a policy</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
