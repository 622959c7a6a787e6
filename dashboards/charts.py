"""Plotly figures, one builder per visual; each takes the rows of one rpt_ model.

Colours are fixed per meaning across every page: claimed vs burnt, and one colour per
segment id (segment ids are canonical, so the same segment keeps its colour on reruns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

# The default template, set once: naming it in every figure's layout makes plotly validate
# and copy the whole template per chart (~20 ms each); the figures come out identical.
pio.templates.default = "plotly_white"

FONT = "Liberation Sans, DejaVu Sans, Arial, sans-serif"
STATUS_COLOURS = {"claimed": "#4C78A8", "burnt": "#F58518", "rate": "#54A24B"}
GENDER_COLOURS = {"Male": "#4C78A8", "Female": "#E45756"}
SEGMENT_COLOURS = (
    "#1B9E77", "#D95F02", "#7570B3", "#E7298A", "#66A61E", "#E6AB02", "#A6761D", "#666666",
    "#1F78B4", "#B15928",
)
ALGORITHM_COLOURS = {"kmeans": "#4C78A8", "gmm": "#F58518", "ward": "#54A24B", "dbscan": "#B279A2"}
FULL, HALF, THIRD = 1000, 490, 325
# Longest category label drawn (names come from the input: a 10,000-character merchant name
# must not squeeze the plot area of its chart to a few pixels).
LABEL_CHARS = 32


def short_labels(values: Iterable[object], limit: int = LABEL_CHARS) -> list[str]:
    """Labels cut to ``limit`` characters with an ellipsis. Two different names that the cut
    makes equal get a number, so their bars stay apart; equal names stay equal, so the same
    city gets the same label in every trace of a chart."""
    labels: dict[str, str] = {}
    taken: set[str] = set()
    out = []
    for value in values:
        text = str(value)
        if text not in labels:
            label = text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
            number = 2
            while label in taken and label != text:
                label = f"{label[: limit - 4]}\u2026 ({number})"
                number += 1
            labels[text] = label
            taken.add(label)
        out.append(labels[text])
    return out


def segment_colour(segment_id: int) -> str:
    return SEGMENT_COLOURS[int(segment_id) % len(SEGMENT_COLOURS)]


def _layout(fig: go.Figure, title: str, width: int = HALF, height: int = 300,
            **kw: object) -> go.Figure:
    settings = {
        "title": {"text": title, "font": {"size": 14}, "x": 0.01},
        "width": width, "height": height,
        "font": {"family": FONT, "size": 11},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right",
                   "bgcolor": "rgba(0,0,0,0)"},
    }
    fig.update_layout(**{**settings, **kw})
    return fig


def empty_figure(title: str, message: str, width: int = HALF) -> go.Figure:
    """A chart-sized note instead of a crash when a period or view has no rows."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 13, "color": "#666"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, width)


def gender_split(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Pie(
        labels=short_labels(df["gender_name"]), values=df["customers"], hole=0.55, sort=False,
        marker={"colors": [GENDER_COLOURS.get(g, "#999") for g in df["gender_name"]]},
        textinfo="label+percent",
    ))
    return _layout(fig, "Customers by gender", THIRD, 290, showlegend=False)


def customers_by_city(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(
        x=df["customers"], y=short_labels(df["city_name"]), orientation="h",
        marker_color="#4C78A8",
        text=df["customers"], textposition="outside",
    ))
    fig.update_yaxes(autorange="reversed", title=None, dtick=1, tickfont={"size": 9})
    fig.update_xaxes(title="Customers")
    return _layout(fig, "Customers by city", 2 * THIRD, 300, margin={"l": 140, "r": 30,
                                                                     "t": 40, "b": 40})


def gender_by_city(df: pd.DataFrame, city_order: list[str]) -> go.Figure:
    names = list(dict.fromkeys([*city_order, *df["city_name"]]))
    label = dict(zip(names, short_labels(names), strict=True))
    fig = go.Figure([
        go.Bar(name=short_labels([g])[0], x=[label[c] for c in part["city_name"]],
               y=part["share_of_city"], marker_color=GENDER_COLOURS.get(g, "#999"))
        for g, part in df.groupby("gender_name", sort=True)
    ])
    fig.update_layout(barmode="stack")
    fig.update_xaxes(categoryorder="array", categoryarray=[label[c] for c in city_order],
                     tickangle=-45,
                     automargin=True)
    fig.update_yaxes(tickformat=".0%", title="Share of city's customers")
    return _layout(fig, "Gender mix by city", FULL, 260, margin={"l": 90, "r": 20, "t": 40,
                                                                  "b": 110})


def monthly_usage(df: pd.DataFrame) -> go.Figure:
    if df.empty:
        return empty_figure("Claims and burns per month", "No transactions", FULL)
    fig = go.Figure([
        go.Bar(name="Claimed", x=df["month"], y=df["claims"],
               marker_color=STATUS_COLOURS["claimed"]),
        go.Bar(name="Burnt", x=df["month"], y=df["burns"], marker_color=STATUS_COLOURS["burnt"]),
        go.Scatter(name="Burn rate of the month's claims", x=df["month"], y=df["burn_rate"],
                   yaxis="y2", mode="lines+markers", line={"color": STATUS_COLOURS["rate"]}),
    ])
    fig.update_layout(
        barmode="group",
        yaxis={"title": "Coupons"},
        yaxis2={"title": "Burn rate", "overlaying": "y", "side": "right", "tickformat": ".0%",
                "range": [0, 1.05], "showgrid": False, "tickvals": [0, 0.25, 0.5, 0.75, 1]},
    )
    return _layout(fig, "Claims and burns per month", FULL, 440)


def ranked_bars(df: pd.DataFrame, label: str, title: str, top: int = 10,
                width: int = HALF, height: int = 300) -> go.Figure:
    """Burns (bars) and matured burn rate (text) for the top rows of a ranked view."""
    rows = df.head(top)
    if rows.empty:
        return empty_figure(title, "No burns yet", width)
    text = [f"{int(b):,} burns · {r:.0%}" if pd.notna(r) else f"{int(b):,} burns"
            for b, r in zip(rows["burns"], rows["matured_burn_rate"], strict=True)]
    fig = go.Figure(go.Bar(
        x=rows["burns"], y=short_labels(rows[label]), orientation="h",
        marker_color=STATUS_COLOURS["burnt"],
        text=text, textposition="auto",
    ))
    fig.update_yaxes(autorange="reversed", title=None, automargin=True)
    fig.update_xaxes(title="Burns")
    return _layout(fig, title, width, height, margin={"l": 10, "r": 20, "t": 40, "b": 40})


def _every_month(grid: pd.DataFrame) -> pd.DataFrame:
    """Month columns from the first to the last, a month without data as an empty column:
    on a category axis a missing month would otherwise close up, and its neighbours read as
    consecutive months."""
    months = pd.to_datetime(pd.Series(grid.columns), errors="coerce")
    if grid.empty or months.isna().any() or (months.dt.day != 1).any():
        return grid
    spine = pd.date_range(months.min(), months.max(), freq="MS")
    found = dict(zip(months, grid.columns, strict=True))
    return grid.reindex(columns=[found.get(m, m.date()) for m in spine])


def heatmap(df: pd.DataFrame, x: str, y: str, z: str, title: str, x_title: str,
            height: int = 420, zmax: float | None = None) -> go.Figure:
    if df.empty:
        return empty_figure(title, "Not enough matured data yet", FULL)
    grid = _every_month(df.pivot_table(index=y, columns=x, values=z, aggfunc="first",
                                       sort=True))
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[_label(c) for c in grid.columns],
        y=short_labels(_label(i) for i in grid.index),
        colorscale="Blues", zmin=0, zmax=zmax, colorbar={"tickformat": ".0%"},
        hovertemplate="%{y} / %{x}: %{z:.1%}<extra></extra>",
    ))
    fig.update_xaxes(title=x_title, type="category")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title, FULL, height, margin={"l": 10, "r": 20, "t": 40, "b": 50})


def cohort_retention(df: pd.DataFrame, width: int = 610, height: int = 550) -> go.Figure:
    """Cohort heatmap, oldest cohort on top: one row per join month from the first join to
    the last (a month nobody joined in is an empty row labelled "none"), each label carrying
    the cohort's size, so a bright row resting on 3 customers reads as such."""
    title = "Cohort retention: share active n months after joining"
    if df.empty:
        return empty_figure(title, "No customers", width)
    sizes = df.groupby("join_month", sort=True)["cohort_customers"].first()
    grid = (df.pivot(index="join_month", columns="months_since_join", values="retention_share")
            .reindex(sizes.index))
    labels = [f"{_label(m)} · {int(n):,}" if n else f"{_label(m)} · none"
              for m, n in sizes.items()]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(dtype=float), x=[str(c) for c in grid.columns], y=labels,
        colorscale="Blues", zmin=0, zmax=1, xgap=1, ygap=1,
        colorbar={"tickformat": ".0%", "thickness": 12},
        hovertemplate="%{y} / month %{x}: %{z:.1%}<extra></extra>",
    ))
    rows = max(len(labels), 1)
    fig.update_yaxes(type="category", autorange="reversed", automargin=True, dtick=1,
                     title="Join month · customers",
                     tickfont={"size": max(6, min(10, int((height - 110) / rows) - 2))})
    fig.update_xaxes(title="Months since joining", type="category",
                     tickfont={"size": 9 if grid.shape[1] <= 40 else 7})
    return _layout(fig, title, width, height, margin={"l": 10, "r": 10, "t": 40, "b": 45},
                   plot_bgcolor="#f4f4f4")


def _label(value: object) -> str:
    """Axis label: dates as YYYY-MM, anything else as text."""
    if isinstance(value, pd.Timestamp | dt.date):
        return pd.Timestamp(value).strftime("%Y-%m")
    return str(value)


def histogram(df: pd.DataFrame, x: str, y: str, title: str, x_title: str, colour: str,
              width: int = HALF, height: int = 250) -> go.Figure:
    if df.empty:
        return empty_figure(title, "No rows", width)
    fig = go.Figure(go.Bar(x=df[x], y=df[y], marker_color=colour))
    fig.update_xaxes(title=x_title, dtick=1)
    fig.update_yaxes(title=y.replace("_", " ").capitalize())
    return _layout(fig, title, width, height)


def selection_curves(df: pd.DataFrame, metric: str, title: str, y_title: str) -> go.Figure:
    """One line per algorithm over k; the chosen candidate is ringed."""
    fig = go.Figure()
    for algorithm, part in df[df["k"].notna()].groupby("algorithm", sort=True):
        fig.add_trace(go.Scatter(
            x=part["k"], y=part[metric], name=algorithm, mode="lines+markers",
            line={"color": ALGORITHM_COLOURS.get(algorithm, "#999")},
        ))
    density = df[df["k"].isna()]
    if not density.empty:
        fig.add_trace(go.Scatter(
            x=density["n_segments"], y=density[metric], name="dbscan (segments found)",
            mode="markers", marker={"symbol": "diamond", "size": 9,
                                    "color": ALGORITHM_COLOURS["dbscan"]},
        ))
    chosen = df[df["is_chosen"]]
    fig.add_trace(go.Scatter(
        x=chosen["n_segments"], y=chosen[metric], name="chosen", mode="markers",
        marker={"size": 16, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": "black"}},
    ))
    fig.update_xaxes(title="Number of segments (k)", dtick=1)
    fig.update_yaxes(title=y_title)
    return _layout(fig, title, HALF, 260,
                   legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 9}},
                   margin={"l": 60, "r": 10, "t": 40, "b": 45})


def projection(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure([
        go.Scatter(
            x=part["projection_x"], y=part["projection_y"], mode="markers",
            name=f"{sid}: {part['segment_name'].iloc[0]}",
            marker={"size": 4, "opacity": 0.6, "color": segment_colour(sid)},
        )
        for sid, part in df.groupby("segment_id", sort=True)
    ])
    fig.update_xaxes(title="Component 1")
    fig.update_yaxes(title="Component 2")
    return _layout(fig, "Customers in 2-D (PCA of the clustering features)", HALF, 270,
                   legend={"orientation": "v", "x": 1.02, "y": 1, "font": {"size": 9}},
                   margin={"l": 50, "r": 10, "t": 40, "b": 40})


def segment_sizes(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(
        x=df["customers"], y=[f"{s}: {n}" for s, n in zip(df["segment_id"], df["segment_name"],
                                                         strict=True)],
        orientation="h", marker_color=[segment_colour(s) for s in df["segment_id"]],
        text=[f"{c:,} ({s:.0%})" for c, s in zip(df["customers"], df["share"], strict=True)],
        textposition="auto",
    ))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title="Customers")
    return _layout(fig, "Segment sizes", HALF, 270, margin={"l": 10, "r": 20, "t": 40, "b": 40})


def profile_heatmap(df: pd.DataFrame) -> go.Figure:
    """Colour by z-score, text by mean. A feature with no z-score (the same value for every
    customer, say no burns at all) keeps its row, uncoloured: pivot_table drops all-empty
    rows by default, which shifted every mean below it onto the wrong label."""
    grid = df.pivot_table(index="feature", columns="segment_id", values="z_score", sort=False,
                          dropna=False)
    means = df.pivot_table(index="feature", columns="segment_id", values="segment_mean",
                           sort=False, dropna=False).reindex(index=grid.index,
                                                            columns=grid.columns)
    names = df.drop_duplicates("segment_id").set_index("segment_id")["segment_name"]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[f"{s}: {names[s]}" for s in grid.columns],
        y=[f.replace("_", " ") for f in grid.index], colorscale="RdBu", zmid=0,
        zmin=-2, zmax=2, text=means.to_numpy(), texttemplate="%{text:.2f}",
        colorbar={"title": "z"},
    ))
    fig.update_yaxes(autorange="reversed", automargin=True)
    return _layout(fig, "Segment profiles: mean per segment (colour: z-score vs all customers)",
                   FULL, 290, margin={"l": 10, "r": 20, "t": 36, "b": 40})


def transition_matrix(df: pd.DataFrame) -> go.Figure:
    """Customers by previous segment (rows; 'new' for customers not in the previous run) and
    current segment (columns; 'gone' for customers no longer present)."""
    cells = df.assign(
        previous=df["previous_segment_name"].fillna("(new)"),
        current=df["current_segment_name"].fillna("(gone)"),
    )
    grid = cells.pivot_table(index="previous", columns="current", values="customers",
                             aggfunc="sum", fill_value=0)
    rows = sorted(grid.index, key=lambda n: (n == "(new)", n))
    columns = sorted(grid.columns, key=lambda n: (n == "(gone)", n))
    grid = grid.loc[rows, columns]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[_label(c) for c in columns], y=[_label(r) for r in rows],
        colorscale="Blues", text=grid.to_numpy(), texttemplate="%{text:,}",
        colorbar={"title": "customers"},
    ))
    fig.update_yaxes(autorange="reversed", automargin=True, title="Previous run")
    fig.update_xaxes(automargin=True, title="This run", side="top")
    return _layout(fig, "Customers by segment: previous run (rows) -> this run (columns)", FULL,
                   340, margin={"l": 10, "r": 20, "t": 70, "b": 20})
