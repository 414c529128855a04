"""The report's charts as Vega-Lite specs (made with Altair): location quotients, scoreboard indices and
employment trends; the maps are in report_maps.py."""

from __future__ import annotations

import altair as alt

BREAK_YEAR = 2020.5  # SBS legacy (to 2020) / EBS (from 2021) regime change, marked on trend charts
LABEL_LIMIT = 420  # pixels of an axis or legend label before Vega cuts it with "..."
EU_100_NOTE = (
    "EU = 100: Eurostat's EU aggregate where the extracts carry it, else the regions' average "
    "(each bar's tooltip says which: index_reference)."
)


def specialisation_chart(data: list[dict], label: str) -> dict:
    """Horizontal bars of the location quotients, LQ 2 (the classic star threshold) marked."""
    base = alt.Chart(alt.Data(values=data))
    bars = base.mark_bar().encode(
        x=alt.X("lq:Q", title="location quotient"),
        # whole labels (Vega cuts them at 180 px): "Distribution and electronic commerce" ...
        y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        tooltip=[
            f"{label}:N",
            alt.Tooltip("lq:Q", format=".2f"),
            alt.Tooltip("employment:Q", title="persons employed", format=",.0f"),
        ],
    )
    rule = alt.Chart(alt.Data(values=[{"lq": 2}])).mark_rule(strokeDash=[4, 4]).encode(x="lq:Q")
    return (bars + rule).properties(width=520, height=18 * max(len(data), 1)).to_dict()


def scoreboard_chart(data: list[dict], highlight: str | None = None) -> dict:
    """Grouped bars: each scoreboard dimension's index (EU = 100) per region, the
    `highlight` region in colour and the others grey (all in colour without one), each bar labelled with
    the indicators behind it."""
    for row in data:
        row["indicators"] = f"{row['n_indicators']} of {row['n_catalogue_indicators']} indicators"
        row["is_highlighted"] = highlight is None or row["region_name"] == highlight
    base = alt.Chart(alt.Data(values=data)).encode(
        # by value, highest first (an alphabetical order of native names puts Česko and Österreich last)
        y=alt.Y(
            "region_name:N",
            title=None,
            sort=alt.EncodingSortField(field="composite_index", op="max", order="descending"),
            axis=alt.Axis(labelLimit=LABEL_LIMIT),
        ),
        x=alt.X("composite_index:Q", title="index (EU = 100)"),
    )
    bars = base.mark_bar().encode(
        color=alt.condition("datum.is_highlighted", alt.value("#1f77b4"), alt.value("#b0b0b0")),
        tooltip=[
            "region_name:N",
            "dimension_label:N",
            alt.Tooltip("composite_index:Q", title="index", format=".1f"),
            alt.Tooltip("index_reference:N", title="100 ="),
            "indicators:N",
        ],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=10, color="#555").encode(
        text="indicators:N"
    )
    return (
        alt.layer(bars, labels)
        .properties(width=420)
        .facet(
            row=alt.Row(
                "dimension_label:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")
            )
        )
        .to_dict()
    )


def trend_chart(data: list[dict], series: str) -> dict:
    """Employment lines by year, the 2020/2021 SBS regime change marked; a log scale where the series
    differ by more than a factor of ten (a linear one would flatten the small ones), the year axis
    spanning the data only."""
    values = [r["employment"] for r in data if r["employment"]]
    years = [r["year"] for r in data]
    spread = max(values) / min(values) if values and min(values) > 0 else 1
    scale = alt.Scale(type="log") if spread > 10 else alt.Scale(zero=False)
    lines = (
        alt.Chart(alt.Data(values=data))
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "year:Q",
                axis=alt.Axis(format="d", tickMinStep=1),
                scale=alt.Scale(domain=[min(years, default=0), max(years, default=0)], nice=False),
                title=None,
            ),
            y=alt.Y(
                "employment:Q",
                title="persons employed" + (" (log scale)" if spread > 10 else ""),
                scale=scale,
                axis=alt.Axis(format="~s"),
            ),
            color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(labelLimit=LABEL_LIMIT)),
            tooltip=[
                f"{series}:N",
                alt.Tooltip("year:Q", format="d"),
                alt.Tooltip("employment:Q", title="persons employed", format=",.0f"),
            ],
        )
    )
    rule = (
        alt.Chart(alt.Data(values=[{"year": BREAK_YEAR, "label": "SBS regime change"}]))
        .mark_rule(strokeDash=[4, 4], color="grey")
        .encode(x="year:Q")
    )
    # the regime change is marked only where the years reach both sides of it (else it would sit
    # outside the axis: a real 2008-2015 extract)
    straddles = bool(years) and min(years) < BREAK_YEAR < max(years)
    layers = [lines, rule] if straddles else [lines]
    return alt.layer(*layers).properties(width=620, height=280).to_dict()
