"""A small PNG of the top jurisdictions' declined counts over the stored reports, posted in
the digest's thread. Rendered headless (Agg); pure: payload in, PNG bytes out."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402


def series_png(series: dict[str, Any]) -> bytes:
    """``{"periods": [...], "lines": [{"label": str, "values": [int, ...]}]}`` → PNG bytes."""
    figure, axes = plt.subplots(figsize=(8.0, 3.2), dpi=100)
    try:
        periods = series["periods"]
        for line in series["lines"]:
            axes.plot(periods, line["values"], marker="o", label=line["label"])
        axes.set_ylabel("declined detainers")
        axes.set_title("Top jurisdictions in the latest report")
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside, not over, the lines
        axes.tick_params(axis="x", labelsize="small", labelrotation=20)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)
