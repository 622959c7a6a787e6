"""The plotly.js the report embeds: plotly's cartesian bundle when it can draw every chart,
else the full plotly.js that ships with the plotly package.

The report draws bars, lines, heatmaps and a pie. The cartesian bundle (vendored, see
dashboards/vendor/README.md) draws them the same, and at 1.5 MB instead of 4.8 MB Chromium
evaluates it in a third of the time: about a third of a second less per report (the real
workbook's PDF step went from ~1.85 s to ~1.6 s, same text and same number of charts).
The bundle must be the very plotly.js version plotly generates figures for, and must hold
every trace type used; otherwise the full bundle is embedded, so a new kind of chart or a
plotly upgrade can never leave a chart blank.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs, get_plotlyjs_version

CARTESIAN_BUNDLE = Path(__file__).parent / "vendor" / "plotly-cartesian.min.js"
# The trace modules of plotly.js's cartesian bundle (its README).
CARTESIAN_TRACES = frozenset({
    "bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
    "image", "pie", "scatter", "scatterternary", "violin",
})


def plotlyjs_for(figures: Iterable[go.Figure]) -> str:
    """The script that draws ``figures``: the cartesian bundle when it can, else plotly's."""
    types = {trace.type for figure in figures for trace in figure.data}
    if types <= CARTESIAN_TRACES and cartesian_version() == get_plotlyjs_version():
        return _cartesian_bundle()
    return get_plotlyjs()


@cache
def cartesian_version() -> str | None:
    """The vendored bundle's plotly.js version, from its header (None if it is missing)."""
    try:
        with CARTESIAN_BUNDLE.open(encoding="utf-8") as handle:
            header = handle.read(200)
    except OSError:
        return None
    found = re.search(r"plotly\.js \(cartesian - minified\) v(\S+)", header)
    return found.group(1) if found else None


@cache
def _cartesian_bundle() -> str:
    return CARTESIAN_BUNDLE.read_text(encoding="utf-8")
