"""The dashboard PDF and HTML, rendered by real Chromium and read back."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time

import duckdb
import plotly.graph_objects as go
import pypdf
import pytest
from conftest import REPO, command_line, couponseg, processes_with, query, sigkill_and_wait
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from dashboards.browser import BrowserError, dump_dom, find_browser
from dashboards.plotlyjs import CARTESIAN_BUNDLE, cartesian_version, plotlyjs_for
from dashboards.report import SECTION_TITLES, build_report

A4_LANDSCAPE = (842, 595)


@pytest.fixture(scope="module")
def pdf_text(built) -> list[str]:
    reader = pypdf.PdfReader(built.out / "dashboard.pdf")
    return [page.extract_text() for page in reader.pages]


def test_pdf_is_a4_report_with_numbered_pages(built, pdf_text):
    path = built.out / "dashboard.pdf"
    assert path.read_bytes()[:5] == b"%PDF-"
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == len(SECTION_TITLES) + 1  # title page + one per section
    for page in reader.pages:
        assert tuple(round(float(v)) for v in page.mediabox[2:]) == A4_LANDSCAPE
    for number, text in enumerate(pdf_text, start=1):
        assert f"Page {number} of {len(pdf_text)}" in text


def test_every_section_titled_and_no_missing_values(pdf_text):
    text = "\n".join(pdf_text)
    for title in SECTION_TITLES:
        assert title in text
    assert not re.search(r"\b(nan|NaN|None|undefined|NaT)\b", text)


def test_kpis_equal_sql(built, pdf_text):
    kpis = query(built.warehouse, "select * from reporting.rpt_kpis order by sort_order")
    title = pdf_text[0]
    for row in kpis.itertuples():
        shown = f"{row.value:.0%}" if row.unit == "share" else f"{row.value:,.0f}"
        assert f"{row.label}\n{shown}" in title or f"{row.label} {shown}" in title, row.label
    ctx = query(built.warehouse, "select * from marts.run_context").iloc[0]
    assert ctx["input_fingerprint"] in title.replace("\n", "")
    assert str(ctx["as_of_date"])[:10] in title


def test_insights_quote_the_views(built, pdf_text):
    text = " ".join(pdf_text).replace("\n", " ")
    top_city = query(built.warehouse, "select * from reporting.rpt_top_cities where burn_rank = 1")
    assert f"{top_city['city_name'][0]} leads burns with {int(top_city['burns'][0]):,}" in text
    recs = query(built.warehouse, "select * from reporting.rpt_segment_recommendations")
    for strategy in recs["coupon_strategy"]:
        assert strategy[:40] in text
    facts = query(built.warehouse, "select * from reporting.rpt_insight_facts").iloc[0]
    assert (f"{facts.thin_city_month_share:.0%} of the city-months rest on fewer than "
            f"{int(facts.thin_cell_claims)} claims") in text
    # the best and worst city by burn rate are of cities with enough matured claims
    cities = query(built.warehouse, "select * from reporting.rpt_top_cities "
                                    "where matured_burn_rate is not null")
    counted = cities[cities["matured_claims"] >= facts.insight_min_city_claims]
    assert cities["is_insight_city"].tolist() == (
        cities["matured_claims"] >= facts.insight_min_city_claims).tolist()
    assert facts.best_city_burn_rate == counted["matured_burn_rate"].max()
    assert facts.worst_city_burn_rate == counted["matured_burn_rate"].min()


def test_pages_are_not_blank(built, tmp_path):
    subprocess.run(["pdftoppm", "-r", "20", "-gray", str(built.out / "dashboard.pdf"),
                    str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.pgm"))
    assert len(pages) == len(SECTION_TITLES) + 1
    for page in pages:
        pixels = page.read_bytes().split(b"\n", 3)[3]  # P5 header: magic, size, maxval
        dark = sum(1 for b in pixels if b < 200)
        assert dark / len(pixels) > 0.01, f"{page.name} looks blank"


def test_html_twin_draws_its_charts(built):
    dom = dump_dom(built.out / "dashboard.html")
    assert dom.count('class="main-svg"') >= 15  # plotly drew SVG charts
    for title in SECTION_TITLES:
        assert title in dom


def test_report_embeds_the_cartesian_plotly_bundle(built):
    """The report's charts need only the cartesian bundle (a third of the full plotly.js);
    it must be the plotly.js version plotly draws figures for."""
    assert cartesian_version() == get_plotlyjs_version(), (
        "dashboards/vendor/plotly-cartesian.min.js is not plotly's plotly.js version: "
        "replace it (dashboards/vendor/README.md); until then reports embed the full bundle")
    page = (built.out / "dashboard.html").read_text()
    assert "plotly.js (cartesian - minified)" in page
    assert get_plotlyjs()[:2000] not in page


def test_charts_the_cartesian_bundle_cannot_draw_get_the_full_one():
    assert plotlyjs_for([go.Figure(go.Bar()), go.Figure(go.Heatmap())]) \
        == CARTESIAN_BUNDLE.read_text()
    assert plotlyjs_for([go.Figure(go.Bar()), go.Figure(go.Scattergeo())]) == get_plotlyjs()


def test_warehouse_without_segments_still_renders(built, tmp_path):
    warehouse = tmp_path / "no_segments.duckdb"
    shutil.copy(built.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for table, kind in con.execute(
                "select table_name, table_type from information_schema.tables "
                "where table_schema = 'segments' order by table_type desc").fetchall():
            con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} segments.{table} cascade")
    pdf, _ = build_report(warehouse, tmp_path / "out")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    assert "has no segments" in text and "Demographics" in text


def test_missing_browser_gives_clear_message(built, tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chrome"))
    with pytest.raises(BrowserError, match="apt-get install -y chromium"):
        find_browser()
    result = couponseg("report", "--warehouse", built.warehouse, "--out", tmp_path / "o",
                       check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "BROWSER_PATH" in result.stderr


def test_report_on_real_workbook(real_built):
    reader = pypdf.PdfReader(real_built.out / "dashboard.pdf")
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "E-commerce_data.xlsx" in text and "2024-10-08" in text
    assert "12 of 20 merchants own no branch" in text.replace("\n", " ")


def test_sigkill_of_report_stops_its_browser(built, tmp_path):
    """The browser printing the PDF, and the helpers it started, die with the CLI at once
    (an orphan would go on and write the PDF the dead report can no longer rename)."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "couponseg.cli", "report", "--warehouse",
                             str(built.warehouse), "--out", str(out)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    profile = None
    while profile is None:
        assert time.time() < deadline and proc.poll() is None, "the browser never started"
        time.sleep(0.05)
        # read again: between the two reads a process can exec (the wrapper script becomes
        # Chromium) or end, and once the test caught it mid-exec, without its arguments
        for pid in processes_with(f"--print-to-pdf={out}", "--user-data-dir="):
            profile = next((arg for arg in command_line(pid)
                            if arg.startswith("--user-data-dir=")), None) or profile
    assert sigkill_and_wait(proc, lambda: processes_with(profile)) == [], \
        "Chromium outlived the report"
    assert not list(out.glob(".dashboard.*.pdf")), "an orphaned Chromium went on printing"


def test_a_shared_first_place_is_said_of_all_who_share_it():
    """Ties at the top are named together, never as whichever sorted first (the tables the
    functions read, as the report loads them)."""
    import pandas as pd

    from dashboards import insights

    facts = pd.DataFrame([{"top_branch_burn_share": 0.14, "branch_count": 10,
                           "merchants_without_branch": 0, "merchant_count": 10}])
    data = {
        "rpt_insight_facts": facts,
        "rpt_top_cities": pd.DataFrame({"city_name": ["Giza", "Tanta", "Luxor"],
                                        "burns": [62, 62, 40],
                                        "matured_burn_rate": [0.5, 0.4, 0.3]}),
        "rpt_top_branches": pd.DataFrame({"branch_label": ["Branch 3", "Branch 10", "Branch 1"],
                                          "merchant_name": ["A", "B", "C"],
                                          "burns": [105, 105, 90]}),
    }
    lines = insights.performers(data)
    assert lines[0] == "Giza and Tanta lead burns with 62 each."
    assert lines[1].startswith("Branch 3 (A) and Branch 10 (B) are the busiest branches: "
                               "105 burns each")
    data["rpt_top_cities"].loc[1, "burns"] = 61
    assert insights.performers(data)[0].startswith("Giza leads burns with 62 (")


def test_warehouse_of_an_earlier_release_asks_for_a_rebuild(built, tmp_path):
    """A warehouse whose reporting model lacks a column this release reads (built before the
    column existed) stops the report with one line naming the view and column, not an
    AttributeError from deep inside the insights."""
    warehouse = tmp_path / "old.duckdb"
    shutil.copy(built.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        kind = con.execute("select table_type from information_schema.tables where table_name"
                           " = 'rpt_insight_facts'").fetchall()[0][0]
        con.execute("create table main.old_facts as select * exclude "
                    "(insight_min_month_claims) from reporting.rpt_insight_facts")
        con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} reporting.rpt_insight_facts")
        con.execute("create view reporting.rpt_insight_facts as select * from main.old_facts")
    result = couponseg("report", "--warehouse", warehouse, "--out", tmp_path / "o",
                       check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert ("was built by another version of couponseg: reporting.rpt_insight_facts lacks "
            "column(s) insight_min_month_claims; rebuild it with `couponseg build`"
            in result.stderr)


def test_city_month_heatmap_keeps_months_without_matured_claims():
    """A month in which no city has a matured claim is an empty column, not closed up (its
    neighbours would read as consecutive months)."""
    import datetime as dt

    import pandas as pd

    from dashboards.charts import heatmap

    frame = pd.DataFrame({"city_name": ["Cairo", "Cairo", "Giza"],
                          "claim_month": [dt.date(2024, 1, 1), dt.date(2024, 4, 1),
                                          dt.date(2024, 2, 1)],
                          "burn_rate": [0.1, 0.2, 0.3]})
    trace = heatmap(frame, "claim_month", "city_name", "burn_rate", "t", "Claim month").data[0]
    assert list(trace.x) == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert [[None if v != v else v for v in row] for row in trace.z.tolist()] == [
        [0.1, None, None, 0.2], [None, 0.3, None, None]]


def test_profile_heatmap_keeps_every_mean_beside_its_feature():
    """A feature with no z-score for any segment (the same value for every customer: no
    burns at all) was dropped from the colour grid but not from the text, so every mean
    below it sat beside the wrong feature."""
    import pandas as pd

    from dashboards.charts import profile_heatmap

    rows = [(segment, feature, z, mean)
            for segment in (0, 1)
            for feature, z, mean in (("claims", 0.5 - segment, 3.0 + segment),
                                     ("burns", None, 0.0),
                                     ("recency_days", segment - 0.5, 80.0 + segment),
                                     ("tenure_days", 0.1, 700.0 + segment))]
    frame = pd.DataFrame(rows, columns=["segment_id", "feature", "z_score", "segment_mean"])
    frame["segment_name"] = frame["segment_id"].map({0: "A", 1: "B"})
    trace = profile_heatmap(frame).data[0]
    assert list(trace.y) == ["claims", "burns", "recency days", "tenure days"]
    assert trace.text.tolist() == [[3.0, 4.0], [0.0, 0.0], [80.0, 81.0], [700.0, 701.0]]


def _facts_and_views(**facts: object) -> dict:
    import pandas as pd
    return {"rpt_insight_facts": pd.DataFrame([facts])}


def test_rate_extremes_name_every_tie_and_a_single_rate_is_no_range():
    """The best and worst city (and month) by burn rate: each that shares the rate is named,
    thin ones (below the view's threshold) are not, and one rate everywhere reads as such."""
    import datetime as dt

    import pandas as pd

    from dashboards import insights

    data = _facts_and_views(best_burn_rate_city="Fayyum", best_city_burn_rate=0.9,
                            worst_burn_rate_city="Mansoura", worst_city_burn_rate=0.0,
                            insight_min_city_claims=30, thin_city_month_share=None,
                            thin_cell_claims=5)
    data["rpt_top_cities"] = pd.DataFrame({
        "city_name": ["Fayyum", "Port Said", "Siwa", "Mansoura"],
        "matured_burn_rate": [0.9, 0.9, 1.0, 0.0], "matured_claims": [130, 220, 1, 40],
        "is_insight_city": [True, True, False, True]})
    assert insights.city_months(data)[1] == (
        "Over the whole period the matured burn rate ranges from 0% in Mansoura to 90% in "
        "Fayyum and Port Said with at least 30 matured claims.")
    # compared as shown: 40.26 % reads 40 %, the same as Mansoura's 40.0 %
    data["rpt_top_cities"]["matured_burn_rate"] = [0.9, 0.9, 1.0, 0.4026]
    data["rpt_insight_facts"]["worst_city_burn_rate"] = 0.4
    data["rpt_top_cities"].loc[len(data["rpt_top_cities"])] = ["Minya", 0.4, 35, True]
    assert "ranges from 40% in Mansoura and Minya to 90% in Fayyum and Port Said" in \
        insights.city_months(data)[1]
    only = data["rpt_top_cities"].iloc[[0]]
    assert insights._rate_range(only, "matured_burn_rate", "city_name", 0.9, 0.9, "city",
                                "") == "is 90% in Fayyum, the only city"
    data["rpt_top_cities"]["matured_burn_rate"] = 0.0
    data["rpt_insight_facts"]["best_city_burn_rate"] = 0.0
    data["rpt_insight_facts"]["worst_city_burn_rate"] = 0.0
    assert insights.city_months(data)[1] == (
        "Over the whole period the matured burn rate is 0% in every city with at least 30 "
        "matured claims.")
    months = pd.DataFrame({"month": [dt.date(2024, m, 1) for m in (1, 2, 3, 4)],
                           "claims": [40, 50, 3, 60], "burns": [1, 1, 1, 1],
                           "burn_rate": [0.5, 0.2, 1.0, 0.5],
                           "is_matured": [True, True, True, True],
                           "is_insight_month": [True, True, False, True]})
    data = _facts_and_views(peak_claim_month=dt.date(2024, 4, 1), peak_claims=60,
                            total_claims=153, total_burns=4, best_matured_month=dt.date(2024, 1, 1),
                            best_matured_month_rate=0.5, worst_matured_month=dt.date(2024, 2, 1),
                            worst_matured_month_rate=0.2, insight_min_month_claims=30)
    data["rpt_monthly_usage"] = months
    data["rpt_kpis"] = pd.DataFrame({"kpi": ["matured_burn_rate"], "value": [0.4]})
    data["rpt_run_context"] = pd.DataFrame([{"burn_window_days": 90, "last_claim_date": None,
                                             "as_of_date": dt.date(2024, 5, 1),
                                             "kpi_period_days": 90}])
    assert ("The monthly burn rate of matured claims ranges from 20% in Feb 2024 to 50% in "
            "Jan 2024 and Apr 2024 with at least 30 claims;") in " ".join(insights.usage(data))


def test_most_common_claim_count_names_a_tie_and_counts_in_words():
    import pandas as pd

    from dashboards import insights

    data = _facts_and_views(most_common_claim_count=1)
    data["rpt_loyalty_summary"] = pd.DataFrame([{
        "repeat_share": 0.5, "repeat_customers": 214, "customers": 500,
        "customers_without_claims": 10, "median_claims": 2, "mean_claims": 1.8,
        "median_days_to_burn": None}])
    data["rpt_usage_frequency"] = pd.DataFrame({"claims_per_customer": [0, 1, 2, 3],
                                                "customers": [10, 214, 214, 62]})
    assert insights.loyalty(data)[1].endswith(
        "1 and 2 claims are equally the most common counts.")
    data["rpt_usage_frequency"].loc[2, "customers"] = 200
    assert insights.loyalty(data)[1].endswith("1 claim is the most common count.")


def test_a_feed_without_burns_reads_as_one(tmp_path):
    """Generated input with every claim left unburnt, built and reported for real: no city
    'leads burns with 0', no rate 'ranges from 0% to 0%', no offer at 0 % 'clears' a
    segment's 0 % (the Wilson interval's low end was 1e-18, not 0), and the KPI tile of
    active customers names the feed that ended."""
    import pandas as pd

    from couponseg.generate import generate

    source = tmp_path / "input"
    generate(source, customers=600, seed=5)
    tx = pd.read_csv(source / "transactions.csv")
    tx["transaction_status"] = "subscribed"
    tx["burn_date"] = None
    tx.to_csv(source / "transactions.csv", index=False)
    warehouse = tmp_path / "w.duckdb"
    couponseg("build", "--input", source, "--warehouse", warehouse)
    couponseg("report", "--warehouse", warehouse, "--out", tmp_path / "out")
    text = " ".join(pypdf.PdfReader(tmp_path / "out" / "dashboard.pdf").pages[i].extract_text()
                    for i in range(len(pypdf.PdfReader(tmp_path / "out" / "dashboard.pdf")
                                       .pages))).replace("\n", " ")
    assert "No coupon has been burnt yet" in text
    assert "lead burns with 0" not in text and "leads burns with 0" not in text
    assert re.search(r"is 0% in every (month|city)", text), text[:3000]
    assert "to 0% in" not in text
    offers = query(warehouse, "select matured_burns, burn_rate_low, clears_baseline "
                              "from segments.segment_offer_affinity")
    assert not offers.empty and (offers["matured_burns"] == 0).all()
    assert (offers["burn_rate_low"].dropna() == 0.0).all()
    assert not offers["clears_baseline"].any()
    # active customers need claims and burns; with no burn at all their window ends with
    # the claims feed, which the tile names
    feed = query(warehouse, "select feed from reporting.rpt_kpis "
                            "where kpi = 'active_customers_period'")["feed"].item()
    assert feed == "claims"
