"""`--as-of` in the past is a point in time (issue 10, item 11): claims, burns and joins after
it are left out of the marts as not yet happened (a later burn leaves its claim open), kept in
raw and shown in the reconciliation as after the as-of date, never rejected. A build of the
real workbook (or the sample) at 2024-04-30 must equal a build of the input truncated to that
date."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import REAL_AS_OF, couponseg, query
from damage import read_tables, truncate_to, write_folder

AS_OF = REAL_AS_OF
DATE_COLUMNS = ("join_date", "transaction_date", "burn_date")
MARTS = {
    "marts.dim_customers": "customer_id",
    "marts.fct_coupon_transactions": "transaction_id",
    "marts.fct_customer_active_months": "customer_id, activity_month",
    "marts.customer_features": "customer_id",
    "reporting.rpt_kpis": "sort_order",
}


def _input_tables(source: Path) -> dict[str, pd.DataFrame]:
    """The input real_as_of built (the real workbook, or a folder such as the shipped sample)
    as text tables (ISO dates) that a folder build reads like the original."""
    if source.is_dir():
        return read_tables(source)
    sheets = pd.read_excel(source, sheet_name=None, engine="openpyxl")
    tables = {}
    for name, frame in sheets.items():
        frame = frame.copy()
        for column in frame.columns:
            if column in DATE_COLUMNS:
                days = pd.to_datetime(frame[column])
                frame[column] = days.dt.strftime("%Y-%m-%d").where(days.notna(), None)
            else:
                frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        tables[name] = frame
    return tables


@pytest.fixture(scope="module")
def pair(real_as_of, tmp_path_factory) -> dict:
    """The full input built as of AS_OF (shared with test_campaigns), and the input cut at
    AS_OF built as of the same date."""
    work = tmp_path_factory.mktemp("as_of")
    tables = _input_tables(real_as_of.input)
    cut = work / "cut.duckdb"
    truncated = write_folder(truncate_to(tables, AS_OF), work / "truncated")
    couponseg("build", "--input", truncated, "--as-of", AS_OF, "--warehouse", cut)
    return {"full": real_as_of.warehouse, "cut": cut, "tables": tables,
            "stdout": real_as_of.stdout}


def _rows(warehouse, relation: str, order: str) -> pd.DataFrame:
    return query(warehouse, f"select * from {relation} order by {order}")


@pytest.mark.parametrize("relation", list(MARTS))
def test_marts_equal_a_build_on_the_truncated_input(pair, relation):
    full = _rows(pair["full"], relation, MARTS[relation])
    cut = _rows(pair["cut"], relation, MARTS[relation])
    assert len(full) > 0
    pd.testing.assert_frame_equal(full, cut)


def test_segments_equal_a_build_on_the_truncated_input(pair):
    order = "customer_id"
    full = _rows(pair["full"], "segments.customer_segments", order)
    cut = _rows(pair["cut"], "segments.customer_segments", order)
    pd.testing.assert_frame_equal(full, cut)


def test_nothing_in_the_marts_is_dated_later(pair):
    latest = query(pair["full"], """
        select
            (select as_of_date from marts.run_context) as as_of_date,
            (select max(join_date) from marts.dim_customers) as joins,
            (select max(claim_date) from marts.fct_coupon_transactions) as claims,
            (select max(burn_date) from marts.fct_coupon_transactions) as burns,
            (select max(last_activity_date) from marts.customer_features) as activity,
            (select max(activity_month) from marts.fct_customer_active_months) as months
    """).iloc[0]
    assert str(latest["as_of_date"])[:10] == AS_OF
    for column in ("joins", "claims", "burns", "activity", "months"):
        assert str(latest[column])[:10] <= AS_OF, column
    features = query(pair["full"], "select min(recency_days) r, min(tenure_days) t "
                     "from marts.customer_features").iloc[0]
    assert features["r"] >= 0 and features["t"] >= 0


def test_later_rows_are_after_the_as_of_date_not_rejected(pair):
    tables = pair["tables"]
    claims = pd.to_datetime(tables["transactions"]["transaction_date"])
    joins = pd.to_datetime(tables["customers"]["join_date"])
    recon = query(pair["full"], "select * from audit.audit_row_reconciliation")
    recon = recon.set_index("source_table")
    assert recon.loc["transactions", "after_as_of_rows"] == (claims > AS_OF).sum() > 0
    assert recon.loc["customers", "after_as_of_rows"] == (joins > AS_OF).sum()
    assert (recon["raw_rows"] == recon["kept_rows"] + recon["after_as_of_rows"]
            + recon["rejected_rows"]).all() and recon["reconciles"].all()
    assert query(pair["full"], "select count(*) n from audit.audit_rejected_rows")["n"][0] == 0
    raw = query(pair["full"], "select count(*) n from raw.raw_transactions")["n"][0]
    assert raw == len(tables["transactions"])  # kept in raw
    burns_later = (pd.to_datetime(tables["transactions"]["burn_date"]) > AS_OF) & (claims <= AS_OF)
    open_now = query(pair["full"], "select sum(open_claims) n from marts.customer_features")
    open_then = ((claims <= AS_OF) & ~(tables["transactions"]["transaction_status"] == "burned")
                 ).sum() + burns_later.sum()
    assert open_now["n"][0] == open_then
    assert "+ after the as-of date" in pair["stdout"]
