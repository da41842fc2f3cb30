"""The backtest's HTML report (punchcard.scale.report).

- the page is one self-contained file: no script, no reference to anything outside it, and a
  content security policy that forbids the browser to fetch anything;
- it has one chart per measure, one bar per variant and month, each bar's height in proportion
  to its value, and the figures per month and location in a table under each chart;
- in a real headless browser (Debian's Chromium driven by Playwright; slow) it loads from a
  file with no console message, no page error and no request, and shows every chart.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scale_kit import population

from punchcard.scale import MEASURES, BacktestResult, Variant, backtest, render_html, write_report

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> BacktestResult:
    activity, _ledger = population(tmp_path_factory.mktemp("report"))
    variants = (
        Variant("fifo"),
        Variant.of("soonest", package_order="earliest_expiry"),
        Variant.of("anywhere", any_location=True),
    )
    return backtest(activity, variants, processes=False)


def test_the_page_is_self_contained(result: BacktestResult) -> None:
    page = render_html(result)
    assert "<script" not in page
    assert not re.search(
        r"""(?:src|href)\s*=|url\(|@import|https?://(?!www\.w3\.org/2000/svg)""", page
    )
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'\"" in page


def test_one_chart_per_measure_one_bar_per_variant_and_month(result: BacktestResult) -> None:
    page = render_html(result)
    charts = re.findall(r'<svg class="chart" data-measure="([a-z_]+)"', page)
    assert charts == [m.id for m in MEASURES]
    months = result.months
    for m in MEASURES:
        svg = page.split(f'data-measure="{m.id}"')[1].split("</svg>")[0]
        bars = re.findall(
            r'<rect class="bar" data-variant="([^"]+)" data-month="([^"]+)" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"',
            svg,
        )
        assert [(v, mo) for v, mo, _h in bars] == [
            (v.name, mo) for mo in months for v in result.variants
        ]
        heights = {(v, mo): float(h) for v, mo, h in bars}
        values = {
            (v.name, mo): float(x)
            for i, v in enumerate(result.variants)
            for mo, x in zip(months, result.series(i, m.id), strict=True)
        }
        biggest = max(values, key=lambda k: values[k])
        assert values[biggest] > 0, m.id
        for key, value in values.items():  # heights in proportion to the values
            assert heights[key] == pytest.approx(
                heights[biggest] * value / values[biggest], abs=0.11
            )


def test_the_tables_hold_the_figures(result: BacktestResult) -> None:
    page = render_html(result)
    covered = result.total(0, "covered")
    assert f"<td>{Decimal(covered):,.2f}</td>" in page
    assert page.count("<summary>Per month and location</summary>") == len(MEASURES)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(
            f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.mark.slow
def test_the_report_opens_in_a_browser_with_every_chart(
    result: BacktestResult, browser: Any, tmp_path: Path
) -> None:
    page_file = tmp_path / "report.html"
    write_report(result, html_path=page_file)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    messages: list[str] = []
    requests: list[str] = []
    page.on("console", lambda msg: messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: messages.append(f"pageerror: {err}"))
    page.on("request", lambda req: requests.append(req.url))
    page.goto(page_file.as_uri(), wait_until="load")
    assert page.title().startswith("Policy backtest")
    for m in MEASURES:
        chart = page.locator(f'svg.chart[data-measure="{m.id}"]')
        chart.scroll_into_view_if_needed()
        assert chart.is_visible(), m.id
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 100
        bars = chart.locator("rect.bar")
        assert bars.count() == len(result.months) * len(result.variants)
        drawn = [bars.nth(i).bounding_box() for i in range(bars.count())]
        assert any(b is not None and b["height"] > 1 for b in drawn), m.id
    assert messages == []
    assert requests == [page_file.as_uri()]
    page.close()
