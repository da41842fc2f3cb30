"""The backtest as a page an owner can open: one chart per measure, the variants side by side,
month by month, and the figures per location below each chart.

The page is one HTML file with everything in it: the charts are inline SVG drawn here, the style
is inline, and there is no script at all. Its content security policy (``default-src 'none'``)
forbids the browser to fetch anything, so it opens from a disk, a mail attachment or a file
share with no server and no network.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from .backtest import MEASURES, BacktestResult, Measure
from .ledger import _atomic_write

__all__ = ["render_html", "write_report"]

#: One colour per variant (colour-blind safe: Okabe-Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_W, _H = 760, 330
_LEFT, _RIGHT, _BOTTOM = 84, 16, 64
#: Variants per line of the legend.
_LEGEND_COLUMNS = 4
_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: .6rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #ddd; text-align: right; }
th.label, td.label { text-align: left; }
.meta { color: #555; } .swatch { display: inline-block; width: .8em; height: .8em;
        margin-right: .3em; vertical-align: -.05em; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
details { margin: .4rem 0 1rem; } summary { cursor: pointer; color: #0b57d0; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _number(value: Any, unit: str) -> str:
    if unit == "money":
        return f"{Decimal(value):,.2f}"
    return f"{int(value):,}"


def _nice_step(top: float) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about five ticks up to *top*."""
    if top <= 0:
        return 1.0
    raw = top / 5
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _chart(result: BacktestResult, measure: Measure) -> str:
    """The SVG bar chart of *measure*: months on x, one bar per variant in each month."""
    months = result.months
    series = [result.series(i, measure.id) for i in range(len(result.variants))]
    values = [float(v) for s in series for v in s]
    low = min([0.0, *values])
    step = _nice_step(max([*values, 0.0]) - low)
    top = step * max(1, math.ceil(max([*values, 0.0]) / step))
    bottom = -step * math.ceil(-low / step) if low < 0 else 0.0
    legend_rows = math.ceil(len(series) / _LEGEND_COLUMNS)
    plot_top = 22 + 16 * legend_rows  # the legend is above the plot
    inner_w, inner_h = _W - _LEFT - _RIGHT, _H - plot_top - _BOTTOM

    def y(value: float) -> float:
        return plot_top + inner_h * (top - value) / (top - bottom)

    parts = [
        f'<svg class="chart" data-measure="{_e(measure.id)}" role="img" '
        f'aria-label="{_e(measure.label)}" viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{_e(measure.label)}</title>",
    ]
    tick = bottom
    while tick <= top + step / 2:
        ty = y(tick)
        label = _number(Decimal(str(round(tick, 2))), measure.unit)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#e3e3e3"/>'
            f'<text x="{_LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{_e(label)}</text>'
        )
        tick += step
    group = inner_w / max(len(months), 1)
    bar = group * 0.8 / max(len(series), 1)
    crowded = group < 48  # month labels slanted when they would touch
    for m, month in enumerate(months):
        x0 = _LEFT + group * m + group * 0.1
        lx, ly = _LEFT + group * (m + 0.5), _H - _BOTTOM + 16
        slant = f' transform="rotate(-40 {lx:.1f} {ly})"' if crowded else ""
        anchor = "end" if crowded else "middle"
        parts.append(
            f'<text x="{lx:.1f}" y="{ly}" text-anchor="{anchor}"{slant}>{_e(month)}</text>'
        )
        for i, s in enumerate(series):
            value = float(s[m])
            y1, y2 = sorted((y(value), y(0.0)))
            name = result.variants[i].name
            parts.append(
                f'<rect class="bar" data-variant="{_e(name)}" data-month="{_e(month)}" '
                f'x="{x0 + bar * i:.1f}" y="{y1:.1f}" width="{bar:.1f}" height="{y2 - y1:.1f}" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>{_e(name)}, {_e(month)}: '
                f"{_e(_number(s[m], measure.unit))}</title></rect>"
            )
    parts.append(
        f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(0.0):.1f}" y2="{y(0.0):.1f}" stroke="#333"/>'
    )
    for i, variant in enumerate(result.variants):
        lx = _LEFT + (i % _LEGEND_COLUMNS) * 165
        ly = 4 + 16 * (i // _LEGEND_COLUMNS)
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="12" height="12" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{lx + 17}" y="{ly + 10}">{_e(variant.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], *, labels: int = 1) -> str:
    """A table whose first *labels* columns are labels (left-aligned), the others figures."""

    def cell(tag: str, i: int, text: str) -> str:
        return (
            f'<{tag} class="label">{_e(text)}</{tag}>'
            if i < labels
            else f"<{tag}>{_e(text)}</{tag}>"
        )

    out = ["<table><thead><tr>", *(cell("th", i, h) for i, h in enumerate(head)), "</tr></thead>"]
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(result: BacktestResult) -> str:
    """The report of *result* as one self-contained HTML page."""
    info = result.info
    names = [v.name for v in result.variants]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Policy backtest {_e(info.start)} to {_e(info.end)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Policy backtest</h1>",
        f'<p class="meta">{_e(info.start)} to {_e(info.end)} (months in {_e(info.timezone)}), '
        f"{result.owners:,} owners, {result.records:,} records, amounts in {_e(info.currency)}.</p>",
        "<h2>Variants</h2><ul>",
    ]
    for i, v in enumerate(result.variants):
        choices = ", ".join(f"{k} = {val}" for k, val in v.choices) or "the defaults"
        out.append(
            f'<li><span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
            f"<strong>{_e(v.name)}</strong>: {_e(choices)}</li>"
        )
    out.append("</ul><h2>Over the period</h2>")
    out.append(
        _table(
            ["Measure", *names],
            [
                [m.label, *(_number(result.total(i, m.id), m.unit) for i in range(len(names)))]
                for m in MEASURES
            ],
        )
    )
    out.append('<p class="meta">Deferred revenue: at the end of the period.</p>')
    for m in MEASURES:
        out.append(f'<section id="{_e(m.id)}"><h2>{_e(m.label)}</h2>')
        out.append(_chart(result, m))
        rows = [
            [
                month,
                loc,
                *(_number(result.value(i, mi, loc, m.id), m.unit) for i in range(len(names))),
            ]
            for mi, month in enumerate(result.months)
            for loc in result.locations
        ]
        out.append("<details><summary>Per month and location</summary>")
        out.append(_table(["Month", "Location", *names], rows, labels=2))
        out.append("</details></section>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_report(
    result: BacktestResult,
    *,
    json_path: str | os.PathLike[str] | None = None,
    html_path: str | os.PathLike[str] | None = None,
) -> None:
    """Write *result* as JSON (:meth:`BacktestResult.to_json`) and/or as the HTML page."""
    if json_path is not None:
        text = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
        _atomic_write(Path(json_path), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    if html_path is not None:
        page = render_html(result)
        _atomic_write(Path(html_path), lambda tmp: tmp.write_text(page, encoding="utf-8"))
