"""One warehouse, one feed: another dataset built into a warehouse with segment history is
refused (in words, the warehouse kept), the same feed with a few corrections is not, and a
history from before join dates were kept is not checked until it has them. Real builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import REPO, couponseg, dbt_on_copy, query
from damage import read_tables, truncate_to, write_folder
from pypdf import PdfReader

SAMPLE = REPO / "data" / "sample"
CUTOFF = "2024-03-31"
REFUSED = "This warehouse holds the segment history of another feed"


def _state(warehouse: Path) -> dict[str, pd.DataFrame]:
    """What a refused build must leave as it was: the stored models, runs and history."""
    return {
        "segment_model": query(warehouse, "select model_version, trained_as_of, training_reason "
                               "from segments.segment_model order by model_version"),
        "segment_runs": query(warehouse, "select * from segments.segment_runs order by run_id"),
        "segment_history": query(warehouse, "select * from segments.segment_history "
                                 "order by run_id, customer_id"),
    }


def _check(warehouse: Path) -> pd.Series:
    return query(warehouse, "select * from segments.segment_feed_check").iloc[0]


def _expected(previous: Path, current: Path) -> dict[str, int]:
    """The feed check's counts, by pandas: the latest run's labelled customers (with their
    join dates) of ``previous`` who had joined by ``current``'s as-of date, looked up in the
    customer rows of ``current``'s input, kept or rejected."""
    as_of = query(current, "select as_of_date from marts.run_context")["as_of_date"][0]
    history = query(previous, "select customer_id, join_date from segments.segment_history "
                    "where run_id = (select max(run_id) from segments.segment_history)")
    history = history[history["join_date"] <= as_of]
    staged = query(current, "select distinct customer_id, join_date "
                   "from staging.validated_customers where customer_id is not null")
    pairs = set(zip(staged["customer_id"], staged["join_date"], strict=True))
    same = sum(pair in pairs for pair in zip(history["customer_id"], history["join_date"],
                                              strict=True))
    missing = int((~history["customer_id"].isin(staged["customer_id"])).sum())
    return {"previous_customers": len(history), "same_join_date": same,
            "other_join_date": len(history) - same - missing, "missing_customers": missing}


def _refused(built, source: Path, tmp_path: Path) -> tuple[Path, str]:
    """Build ``source`` into a copy of ``built``'s warehouse, which must refuse it and keep
    its stored models, runs and history; the copy and the refusal, on one line."""
    warehouse = tmp_path / "weekly.duckdb"
    shutil.copy(built.warehouse, warehouse)
    before = _state(warehouse)
    refused = couponseg("build", "--input", source, "--warehouse", warehouse, check=False)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    for table, rows in _state(warehouse).items():
        pd.testing.assert_frame_equal(rows, before[table], obj=table)
    return warehouse, " ".join(refused.stderr.split())


def test_another_feed_is_refused_in_words_and_the_warehouse_kept(built, tmp_path):
    """The generated feed's warehouse, then the shipped sample (another dataset whose ids
    1..1000 name other people): refused before any model runs, nothing changed; with
    --min-feed-match 0 it builds, and the check row holds what pandas counts."""
    warehouse, message = _refused(built, SAMPLE, tmp_path)
    labelled = len(query(warehouse, "select 1 from segments.customer_segments"))
    assert f"{REFUSED}: of the {labelled} customers its latest run (run 1, as of" in message
    assert "at least 50.0% must be" in message and "--min-feed-match 0" in message
    assert "previous warehouse is unchanged" in message

    forced = couponseg("build", "--input", SAMPLE, "--warehouse", warehouse,
                       "--min-feed-match", "0")
    assert "scored run 2" in forced.stdout
    check = _check(warehouse)
    expected = _expected(built.warehouse, warehouse)
    assert {k: int(check[k]) for k in expected} == expected
    assert expected["same_join_date"] < expected["previous_customers"] / 2
    assert check.checked_run_id == 1 and check.is_same_feed and check.min_match_share == 0
    assert pd.isna(check.refusal)


def test_the_same_feed_with_corrections_passes_and_is_counted(built, tmp_path):
    """A weekly feed whose join dates were corrected for a few customers is the same feed:
    it builds, reuses the model, and the check counts the corrected customers."""
    source = tmp_path / "input"
    shutil.copytree(built.input, source)
    customers = pd.read_csv(source / "customers.csv", dtype=str)
    corrected = customers["customer_id"].head(5)
    earlier = pd.to_datetime(customers["join_date"]) - pd.Timedelta(days=1)  # still before claims
    customers.loc[customers.index[:5], "join_date"] = earlier[:5].dt.strftime("%Y-%m-%d")
    customers.to_csv(source / "customers.csv", index=False)
    warehouse = tmp_path / "weekly.duckdb"
    shutil.copy(built.warehouse, warehouse)

    result = couponseg("build", "--input", source, "--warehouse", warehouse)
    assert "scored run 2" in result.stdout and "reused" in result.stdout
    check = _check(warehouse)
    expected = _expected(built.warehouse, warehouse)
    assert {k: int(check[k]) for k in expected} == expected
    assert expected["other_join_date"] == 5 and expected["missing_customers"] == 0
    assert check.is_same_feed and check.match_share > 0.99
    # This run's labels keep the join dates it saw, the corrected ones included.
    kept = query(warehouse, "select customer_id, join_date from segments.segment_history "
                 "where run_id = 2")
    staged = query(warehouse, "select customer_id, join_date from staging.stg_customers")
    assert kept.merge(staged, on=["customer_id", "join_date"]).shape[0] == len(kept) > 0
    assert set(corrected.astype(int)) <= set(kept["customer_id"])
    # The report says so: a value changed in the feed is not hidden in the history.
    couponseg("report", "--warehouse", warehouse, "--out", tmp_path / "out")
    text = " ".join(" ".join(page.extract_text() for page in
                             PdfReader(tmp_path / "out" / "dashboard.pdf").pages).split())
    labelled = int(check.previous_customers)
    assert (f"5 of the {labelled:,} customers run 1 labelled have another join date in this "
            "input than that run saw") in text


def test_a_backfill_from_a_copy_cut_at_its_date_is_the_same_feed(built, tmp_path):
    """A backfill built from the feed as it stood on the as-of date (customers who joined
    later are not in it) is checked against the customers who had joined by then only."""
    warehouse = tmp_path / "weekly.duckdb"
    shutil.copy(built.warehouse, warehouse)
    cut = write_folder(truncate_to(read_tables(built.input), CUTOFF), tmp_path / "cut")
    result = couponseg("build", "--input", cut, "--warehouse", warehouse, "--as-of", CUTOFF)
    assert "scored run 2 as of " + CUTOFF in result.stdout
    check = _check(warehouse)
    joined = query(built.warehouse, "select count(*) as n from segments.segment_history "
                   f"where join_date <= date '{CUTOFF}'")["n"][0]
    labelled = len(query(built.warehouse, "select 1 from segments.segment_history"))
    assert 0 < joined < labelled
    assert (check.previous_customers, check.same_join_date, check.missing_customers) == (
        joined, joined, 0)


def _years_earlier(tables: dict[str, pd.DataFrame], years: int) -> dict[str, pd.DataFrame]:
    """Every date of the feed moved back by a multiple of four years (29 February stays a
    date): another feed, with the same ids, that ended before the history's began."""
    def back(column: pd.Series) -> pd.Series:
        dated = column.notna()
        shifted = column.copy()
        shifted[dated] = [f"{int(d[:4]) - years:04d}{d[4:]}" for d in column[dated]]
        return shifted

    moved = {name: frame.copy() for name, frame in tables.items()}
    moved["customers"]["join_date"] = back(moved["customers"]["join_date"])
    for column in ("transaction_date", "burn_date"):
        moved["transactions"][column] = back(moved["transactions"][column])
    return moved


def test_a_feed_that_ended_before_the_history_began_is_refused(built, tmp_path):
    """Nobody the latest run labelled had joined by this input's as-of date, so there is
    nobody to look up; but the run (as of a later date) labelled every customer of its feed
    who had joined by then, so an input with customers by then is another feed: refused, in
    words of its own, and the warehouse kept. The same input into a warehouse whose check is
    off (--min-feed-match 0) builds."""
    source = write_folder(_years_earlier(read_tables(built.input), 12), tmp_path / "old")
    warehouse, message = _refused(built, source, tmp_path)
    kept = len(read_tables(built.input)["customers"])
    assert (f"{REFUSED}: none of the customers its latest run (run 1, as of" in message
            and f"yet {kept} customers of this input had" in message), message

    labelled = len(query(built.warehouse, "select 1 from segments.customer_segments"))
    assert f"of all the {labelled} customers that run labelled 0 are in this input" in message

    couponseg("build", "--input", source, "--warehouse", warehouse, "--min-feed-match", "0")
    check = _check(warehouse)
    assert (check.previous_customers, check.joined_customers, check.run_customers,
            check.run_same_join_date) == (0, kept, labelled, 0)
    assert check.is_same_feed and pd.isna(check.refusal)


def test_a_backfill_from_the_whole_feed_before_anyone_the_run_kept_is_the_same_feed(
        built, tmp_path):
    """The latest run rejected the feed's earliest customers (their city was missing), so it
    labelled nobody who had joined by an early as-of date; a backfill to that date from the
    whole feed, the city mended, holds those customers and every one the run labelled with
    the same join date: the same feed, built."""
    tables = read_tables(built.input)
    joined = pd.to_datetime(tables["customers"]["join_date"])
    early = joined <= joined.sort_values().iloc[60]
    as_of = joined[early].max().date().isoformat()
    broken = {name: frame.copy() for name, frame in tables.items()}
    broken["customers"].loc[early, "city_id"] = "999"  # no such city: rejected
    warehouse = tmp_path / "weekly.duckdb"
    couponseg("build", "--input", write_folder(broken, tmp_path / "broken"),
              "--warehouse", warehouse)
    result = couponseg("build", "--input", built.input, "--warehouse", warehouse,
                       "--as-of", as_of)
    assert f"scored run 2 as of {as_of}" in result.stdout
    check = _check(warehouse)
    labelled = int(early.size - early.sum())
    assert (check.previous_customers, check.run_customers, check.run_same_join_date) == (
        0, labelled, labelled)
    assert check.joined_customers == int(early.sum()) and check.is_same_feed


def test_customers_rejected_this_week_are_still_the_feeds(built, tmp_path):
    """A week whose cities table lost a city: its customers are rejected (unknown_city_id,
    reported by the build) but still in the input by id and join date, so this is the same
    feed, not another one."""
    tables = read_tables(built.input)
    customers = tables["customers"]
    city = customers["city_id"].value_counts().index[0]  # the city with most customers
    tables["cities"] = tables["cities"][tables["cities"]["city_id"] != city]
    source = write_folder(tables, tmp_path / "input")
    warehouse = tmp_path / "weekly.duckdb"
    shutil.copy(built.warehouse, warehouse)
    result = couponseg("build", "--input", source, "--warehouse", warehouse)
    assert "unknown_city_id" in result.stdout + result.stderr
    check = _check(warehouse)
    rejected = int((customers["city_id"] == city).sum())
    assert rejected > 0 and check.missing_customers == 0 and check.other_join_date == 0
    assert check.same_join_date == check.previous_customers > 0


def test_a_history_without_join_dates_is_checked_from_the_next_run(built, tmp_path):
    """A warehouse built before join dates were kept: its history cannot be checked, so the
    next build is not refused; it adds the column (empty for the old runs) and fills it for
    its own run, so the build after it is checked."""
    warehouse = tmp_path / "weekly.duckdb"
    shutil.copy(built.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table segments.segment_history drop column join_date")

    couponseg("build", "--input", built.input, "--warehouse", warehouse)
    check = _check(warehouse)
    assert pd.isna(check.checked_run_id) and check.previous_customers == 0
    assert check.is_same_feed and pd.isna(check.match_share)
    dates = query(warehouse, "select run_id, count(join_date) as dated, count(*) as labels "
                  "from segments.segment_history group by run_id order by run_id")
    assert dates["dated"].tolist() == [0, dates["labels"][1]]

    refused = couponseg("build", "--input", SAMPLE, "--warehouse", warehouse, check=False)
    assert refused.returncode == 1 and f"{REFUSED}: " in " ".join(refused.stderr.split())
    assert "(run 2, as of" in " ".join(refused.stderr.split())


def test_a_hand_run_dbt_build_stops_before_the_segments(built, tmp_path):
    """`dbt build` in place (not atomic): the refusal skips every model after the check, so
    the stored models and the history stay as they were."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built.warehouse, warehouse)
    before = _state(warehouse)
    result = dbt_on_copy(warehouse, "build", "--exclude-resource-type", "unit_test",
                         input_path=SAMPLE, target=tmp_path / "target")
    assert result.returncode != 0
    assert REFUSED in result.stdout
    for table, rows in _state(warehouse).items():
        pd.testing.assert_frame_equal(rows, before[table], obj=table)


@pytest.mark.parametrize("share", ["-0.1", "1.5"])
def test_the_share_is_checked_before_the_build(built, tmp_path, share):
    warehouse = tmp_path / "weekly.duckdb"
    refused = couponseg("build", "--input", built.input, "--warehouse", warehouse,
                        "--min-feed-match", share, check=False)
    assert refused.returncode != 0 and f"segment_feed_min_match = {share}" in refused.stderr
    assert not warehouse.exists()


def test_a_truncated_customers_file_is_called_incomplete_not_another_feed(built, tmp_path):
    """The same feed with most customers cut off (a truncated delivery): every customer
    found has the join date the run saw, so the refusal says the file looks incomplete,
    not that the warehouse holds another feed (whose remedies would start a history
    without those customers, or count them as new next week)."""
    source = tmp_path / "truncated"
    shutil.copytree(built.input, source)
    customers = pd.read_csv(source / "customers.csv")
    customers.head(len(customers) // 3).to_csv(source / "customers.csv", index=False)
    _, message = _refused(built, source, tmp_path)
    assert "This input looks like an incomplete delivery of the feed this warehouse holds " \
           "the segment history of" in message, message
    assert "every one with the same join date" in message
    assert "Check that the customers file is complete" in message
    assert REFUSED not in message


def test_a_truncated_transactions_file_builds_but_is_warned_about(built, tmp_path):
    """A third of the transactions missing (a truncated delivery; the customers file
    whole) passes every check: the build says the run holds fewer kept claims than the run
    it is compared with, since a feed that is appended to only grows."""
    source = tmp_path / "truncated"
    shutil.copytree(built.input, source)
    tx = pd.read_csv(source / "transactions.csv")
    latest = (tx["transaction_date"] == tx["transaction_date"].max()) | (
        tx["burn_date"] == tx["burn_date"].max())
    kept = tx[(tx["transaction_id"] % 3 != 0) | latest]
    kept.to_csv(source / "transactions.csv", index=False)
    warehouse = tmp_path / "weekly.duckdb"
    shutil.copy(built.warehouse, warehouse)
    before = query(warehouse, "select claims, as_of_date from segments.segment_runs").iloc[0]
    result = couponseg("build", "--input", source, "--warehouse", warehouse)
    after = query(warehouse, "select claims, as_of_date from segments.segment_runs "
                             "order by run_id desc limit 1").iloc[0]
    assert after.as_of_date == before.as_of_date and after.claims < before.claims
    assert (f"WARNING: run 2 (as of {after.as_of_date:%Y-%m-%d}) holds "
            f"{before.claims - after.claims:,} fewer kept claims than run 1") in " ".join(
                result.stdout.split()), result.stdout
    # the same feed again, complete: no such warning
    again = couponseg("build", "--input", built.input, "--warehouse", warehouse)
    assert "fewer kept claims" not in again.stdout and "fewer customers" not in again.stdout


def test_feed_warnings_skip_a_copy_without_the_runs_table(built, tmp_path):
    """A Spark build prints its summary from a DuckDB copy of Spark's tables; a copy made
    before it held segment_runs gets no feed warnings rather than a traceback after a
    build that succeeded."""
    from couponseg.segment_runs import feed_warnings

    copy = tmp_path / "copy.duckdb"
    shutil.copy(built.warehouse, copy)
    assert feed_warnings(copy) == []  # one run: nothing to compare with
    with duckdb.connect(str(copy)) as con:
        con.execute("drop table segments.segment_runs cascade")
    assert feed_warnings(copy) == []
