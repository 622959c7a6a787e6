"""Damaged inputs: a clear error (file, sheet, column, rows; exit 2; no traceback) or rows in
audit_rejected_rows with the right reasons, and counts that reconcile."""

from __future__ import annotations

import copy
import datetime as dt

import pandas as pd
import pypdf
import pytest
from conftest import couponseg, query
from damage import append, ids_differing_from_raw, read_tables, write_folder, write_workbook


@pytest.fixture(scope="module")
def clean(generated) -> dict[str, pd.DataFrame]:
    return read_tables(generated)


def _error(tmp_path, input_path) -> str:
    result = couponseg("build", "--input", input_path, "--warehouse", tmp_path / "w.duckdb",
                       check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "w.duckdb").exists()
    return result.stderr


def test_missing_sheet(clean, tmp_path):
    tables = {k: v for k, v in clean.items() if k != "branches"}
    message = _error(tmp_path, write_workbook(tables, tmp_path / "in.xlsx"))
    assert "in.xlsx" in message and "missing sheet 'branches'" in message


def test_missing_or_renamed_column(clean, tmp_path):
    tables = copy.deepcopy(clean)
    tables["customers"] = tables["customers"].rename(columns={"join_date": "joined"})
    message = _error(tmp_path, write_workbook(tables, tmp_path / "in.xlsx"))
    assert "sheet 'customers'" in message and "missing column(s) join_date" in message
    assert "joined" in message  # says what it found instead


def test_missing_csv_file(clean, tmp_path):
    folder = write_folder({k: v for k, v in clean.items() if k != "merchants"}, tmp_path / "in")
    assert "missing file for table 'merchants'" in _error(tmp_path, folder)


def test_not_a_workbook(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("this is not a spreadsheet")
    assert "fake.xlsx: not a readable .xlsx workbook" in _error(tmp_path, fake)


def test_empty_table(clean, tmp_path):
    tables = copy.deepcopy(clean)
    tables["transactions"] = tables["transactions"].iloc[0:0]
    message = _error(tmp_path, write_folder(tables, tmp_path / "in"))
    assert "transactions.csv (table 'transactions'): no data rows" in message


def test_missing_input(tmp_path):
    assert "Input not found" in _error(tmp_path, tmp_path / "nowhere.xlsx")


@pytest.fixture(scope="module")
def damaged(clean, tmp_path_factory):
    """One workbook with many kinds of damage at known rows, built once."""
    t = copy.deepcopy(clean)
    tx, customers, branches = t["transactions"], t["customers"], t["branches"]
    first = tx.iloc[0].to_dict()
    rows = {}
    next_id = len(tx) + 1000

    def add_tx(reason, **changes):
        nonlocal next_id
        next_id += 1
        values = {**first, "transaction_id": str(next_id), **changes}
        rows.setdefault(("transactions", reason), []).append(append(tx, **values))

    add_tx("duplicate_row", transaction_id=first["transaction_id"])
    add_tx("unknown_customer_id", customer_id="999999")
    add_tx("unknown_branch_id", branch_id="77")
    add_tx("burn_before_claim", transaction_status="burned", transaction_date="2024-01-10",
           burn_date="2024-01-01")
    add_tx("burnt_without_burn_date", transaction_status="burned", burn_date=None)
    add_tx("claimed_with_burn_date", transaction_status="subscribed",
           transaction_date="2024-01-01", burn_date="2024-01-05")
    add_tx("unknown_transaction_status", transaction_status="redeemed", burn_date=None)
    add_tx("missing_transaction_id", transaction_id=None)
    add_tx("invalid_transaction_date", transaction_date="yesterday")
    add_tx("invalid_customer_id", customer_id="abc")
    add_tx("invalid_burn_date", transaction_status="burned", burn_date="not a date")
    add_tx("invalid_transaction_date", transaction_date="2024")  # a bare year, not Excel day 2024
    add_tx("implausible_transaction_date", transaction_date="9999-12-31")
    add_tx("implausible_burn_date", transaction_status="burned", burn_date="2099-01-01")
    add_tx("missing_coupon_name", coupon_name="   ")
    add_tx("invalid_customer_id", customer_id="1e-400")  # not customer 0
    for coupon in ("coupon A", "coupon B"):  # one id, two different rows: both rejected
        rows.setdefault(("transactions", "conflicting_duplicate_transaction_id"), []).append(
            append(tx, **{**first, "transaction_id": str(next_id + 50), "coupon_name": coupon}))
    # Several checks fail (customer, date, status, branch); the first in priority order wins.
    multi_fault = append(tx, **{**first, "transaction_id": str(next_id + 51), "customer_id": "x1",
                                "transaction_date": "soon", "transaction_status": "redeemed",
                                "branch_id": "77"})
    rows[("transactions", "invalid_customer_id")].append(multi_fault)
    cascade = append(tx, **{**first, "transaction_id": str(next_id + 52), "branch_id": "11"})
    rows[("transactions", "unknown_branch_id")].append(cascade)  # branch 11 is rejected below
    big = ["9007199254740993", "9007199254740995"]  # distinct above 2^53; a double merges them
    exact = [append(tx, **{**first, "transaction_id": big[0], "coupon_name": "null"}),
             append(tx, **{**first, "transaction_id": big[1], "coupon_name": "NULL "})]
    for customer_id in [*big, str(2**63 - 1)]:
        exact.append(append(customers, customer_id=customer_id, join_date="2022-01-01",
                            city_id="1", gender_id="1"))
        exact.append(append(tx, **{**first, "transaction_id": str(next_id + 60 + len(exact)),
                                   "customer_id": customer_id}))
    rows[("customers", "invalid_customer_id")] = [append(
        customers, customer_id="1e-400", join_date="2022-01-01", city_id="1", gender_id="1")]
    rows[("customers", "implausible_join_date")] = [append(
        customers, customer_id="900004", join_date="1899-12-31", city_id="1", gender_id="1")]
    late_joiner = append(customers, customer_id="900005", join_date="2024-05-01", city_id="1",
                         gender_id="1")
    rows[("transactions", "claim_before_join")] = [append(
        tx, **{**first, "transaction_id": str(next_id + 70), "customer_id": "900005",
               "transaction_date": "2024-01-01", "transaction_status": "subscribed",
               "burn_date": None})]
    append(t["cities"], city_id="777", city_name="Hurghada")  # a valid city nobody lives in
    t["cities"].loc[0, "city_name"] = "Nan"  # real names that look like null tokens
    t["cities"].loc[1, "city_name"] = "N/A"
    t["merchants"].loc[0, "merchant_name"] = "None"
    kept = [append(tx, **{**first, "transaction_id": str(next_id + 1),
                          "transaction_status": " Burned ", "transaction_date": "15/03/2024",
                          "burn_date": "45370"})]  # padded mixed case, day-first, Excel serial
    rows[("customers", "unknown_city_id")] = [append(
        customers, customer_id="900001", join_date="2022-01-01", city_id="99", gender_id="1")]
    rows[("customers", "unknown_gender_id")] = [append(
        customers, customer_id="900002", join_date="2022-01-01", city_id="1", gender_id="3")]
    rows[("customers", "invalid_join_date")] = [append(
        customers, customer_id="900003", join_date="31/31/2022", city_id="1", gender_id="1")]
    dup = customers.iloc[4].to_dict()
    rows[("customers", "conflicting_duplicate_customer_id")] = [
        5 + 1, append(customers, **{**dup, "city_id": "2" if dup["city_id"] != "2" else "3"})]
    rows[("branches", "unknown_merchant_id")] = [append(branches, branch_id="11",
                                                        merchant_id="99")]
    tx["promo_code"] = "extra column, ignored"
    path = write_workbook(t, tmp_path_factory.mktemp("damaged") / "damaged.xlsx",
                          extra_sheets={"notes": pd.DataFrame({"a": [1]})})
    warehouse = path.parent / "w.duckdb"
    result = couponseg("build", "--input", path, "--warehouse", warehouse)
    return {"rows": rows, "kept": kept, "warehouse": warehouse, "stdout": result.stdout,
            "dup_customer": dup["customer_id"], "tables": t, "multi_fault": multi_fault,
            "cascade": cascade, "big": big, "late_joiner": late_joiner, "path": path}


def test_each_damage_rejected_with_its_reason(damaged):
    audit = query(damaged["warehouse"], "select * from audit.audit_rejected_rows")
    for (table, reason), source_rows in damaged["rows"].items():
        got = audit[(audit["source_table"] == table) & audit["source_row"].isin(source_rows)]
        assert list(got["reason"]) == [reason] * len(source_rows), (table, reason, got)


def test_first_failing_check_wins(damaged):
    """A row failing the customer, date, status and branch checks gets the customer's reason,
    the first in the reject_reasons seed's priority order, and is listed once."""
    audit = query(damaged["warehouse"], "select reason from audit.audit_rejected_rows where "
                  f"source_table = 'transactions' and source_row = {damaged['multi_fault']}")
    assert list(audit["reason"]) == ["invalid_customer_id"]


def test_rejected_branch_cascades_to_its_transactions(damaged):
    """Branch 11 names an unknown merchant, so it is rejected; its transaction then has no
    kept branch and is rejected as unknown_branch_id, not kept pointing at nothing."""
    audit = query(damaged["warehouse"], "select source_table, source_row, reason "
                  "from audit.audit_rejected_rows "
                  "where (source_table = 'branches' and source_key = '11') "
                  "or (source_table = 'transactions' and source_row = "
                  f"{damaged['cascade']})")
    assert sorted(zip(audit["source_table"], audit["reason"], strict=True)) == [
        ("branches", "unknown_merchant_id"), ("transactions", "unknown_branch_id")]


def test_no_id_changes_between_raw_and_staged(damaged):
    """Every staged id equals the exact number its raw text denotes: two transaction and two
    customer ids above 2^53 stay distinct, BIGINT's maximum is kept, '1e-400' is rejected and
    its transaction is not attached to customer 0."""
    assert ids_differing_from_raw(damaged["warehouse"]) == []
    big = [int(b) for b in damaged["big"]]
    tx = query(damaged["warehouse"], "select transaction_id, coupon_name from "
               f"marts.fct_coupon_transactions where transaction_id in ({big[0]}, {big[1]}) "
               "order by transaction_id")
    assert list(tx["transaction_id"]) == big and list(tx["coupon_name"]) == ["null", "NULL"]
    customers = query(damaged["warehouse"], "select customer_id from marts.dim_customers "
                      f"where customer_id in ({big[0]}, {big[1]}, {2**63 - 1})")
    assert sorted(customers["customer_id"]) == [*big, 2**63 - 1]
    assert query(damaged["warehouse"], "select count(*) n from marts.fct_coupon_transactions "
                 "where customer_id = 0")["n"][0] == 0


def test_names_that_look_like_null_tokens_are_names(damaged):
    """A city called Nan or N/A and a merchant called None are real names: kept, and their
    customers and transactions with them (no missing_*_name, no cascade)."""
    cities = set(query(damaged["warehouse"], "select city_name from marts.dim_customers")
                 ["city_name"])
    assert {"Nan", "N/A"} <= cities
    assert "None" in set(query(damaged["warehouse"], "select merchant_name from "
                               "marts.dim_merchants")["merchant_name"])
    reasons = list(query(damaged["warehouse"], "select reason from audit.audit_rejected_rows")
                   ["reason"])
    assert "missing_city_name" not in reasons and "missing_merchant_name" not in reasons
    assert reasons.count("unknown_city_id") == 1  # only the planted city 99


def test_as_of_date_comes_from_kept_plausible_rows(damaged):
    """A claim dated 9999-12-31, a burn in 2099 and a join date in 1899 are rejected, so
    the as-of date is the latest kept date; the CLI warns that dates look implausible."""
    context = query(damaged["warehouse"], "select * from marts.run_context").iloc[0]
    latest_kept = query(damaged["warehouse"], "select greatest("
                        "(select max(claim_date) from staging.stg_transactions), "
                        "(select max(burn_date) from staging.stg_transactions), "
                        "(select max(join_date) from staging.stg_customers)) d")["d"][0]
    assert context["as_of_date"] == latest_kept
    assert latest_kept <= context["latest_plausible_date"]
    assert str(context["as_of_date"])[:4] < "2030"
    assert context["implausible_date_rows"] == 3
    assert "WARNING: the feed's dates look implausible: 3 rows" in damaged["stdout"]
    features = query(damaged["warehouse"], "select min(days_to_first_claim) d "
                     "from marts.customer_features")
    assert features["d"][0] >= 0  # no claim before its customer joined


def test_data_quality_page_equals_the_audit_tables(damaged, tmp_path):
    """The PDF's data-quality page quotes the reconciliation and every reason with its count
    and its description from the reject_reasons seed."""
    couponseg("report", "--warehouse", damaged["warehouse"], "--out", tmp_path)
    pages = [p.extract_text() for p in pypdf.PdfReader(tmp_path / "dashboard.pdf").pages]
    start = next(i for i, page in enumerate(pages) if "Data quality" in page)
    text = " ".join(" ".join(page.split()) for page in pages[start:])
    recon = query(damaged["warehouse"], "select * from audit.audit_row_reconciliation")
    for row in recon.itertuples():
        assert f"{row.source_table} {row.raw_rows:,} {row.kept_rows:,} {row.rejected_rows:,}" \
            in text, row.source_table
    summary = query(damaged["warehouse"], "select * from audit.audit_rejection_summary")
    for row in summary.itertuples():
        assert f"{row.reason} {row.rejected_rows:,}" in text, row.reason
        assert " ".join(row.description.split()[:4]) in text, row.reason
    rejected = int(recon["rejected_rows"].sum())
    assert f"{rejected:,} input rows were kept out of the analysis" in text


def test_cascade_of_rejected_customer(damaged):
    """Transactions of a customer rejected as a conflicting duplicate are rejected too,
    as unknown_customer_id, not silently lost."""
    audit = query(damaged["warehouse"], "select * from audit.audit_rejected_rows "
                  "where source_table = 'transactions' and reason = 'unknown_customer_id'")
    tx = damaged["tables"]["transactions"]
    expected = (tx["customer_id"] == damaged["dup_customer"]).sum() + 1  # + the 999999 row
    assert len(audit) == expected


def test_tolerated_formats_are_kept(damaged):
    kept = query(damaged["warehouse"], "select * from staging.stg_transactions where "
                 f"source_row = {damaged['kept'][0]}").iloc[0]
    assert kept["status"] == "burnt" and str(kept["claim_date"])[:10] == "2024-03-15"
    assert str(kept["burn_date"])[:10] == "2024-03-19"  # Excel day 45370


def test_counts_reconcile_and_are_reported(damaged):
    recon = query(damaged["warehouse"], "select * from audit.audit_row_reconciliation")
    assert recon["reconciles"].all()
    raw = {t: len(f) for t, f in damaged["tables"].items()}
    assert dict(zip(recon["source_table"], recon["raw_rows"], strict=True)) == raw
    out = damaged["stdout"]
    assert "Rejected rows by reason" in out and "burn_before_claim" in out


# Each file is read with its own dialect, so one build covers all three: a semicolon
# separator, a UTF-8 byte order mark, and Latin-1 (a file saved by an old Excel).
DIALECTS = {"customers": {"sep": ";"}, "transactions": {"sep": ";"},
            "merchants": {"encoding": "utf-8-sig"}, "genders": {"encoding": "utf-8-sig"},
            "cities": {"encoding": "latin-1"}}


def test_csv_dialects_each_file_its_own(clean, tmp_path):
    tables = copy.deepcopy(clean)
    tables["cities"].loc[0, "city_name"] = "Port Saïd"
    tables["merchants"].loc[0, "merchant_name"] = "Crème Brûlée Café"
    folder = tmp_path / "in"
    for name, frame in tables.items():
        write_folder({name: frame}, folder, **DIALECTS.get(name, {}))
    warehouse = tmp_path / "w.duckdb"
    couponseg("build", "--input", folder, "--warehouse", warehouse)
    cities = query(warehouse, "select city_name from staging.stg_cities where city_id = 1")
    assert cities["city_name"][0] == "Port Saïd"
    first = int(tables["merchants"].loc[0, "merchant_id"])
    merchants = query(warehouse, "select merchant_name from staging.stg_merchants "
                                 f"where merchant_id = {first}")
    assert merchants["merchant_name"][0] == "Crème Brûlée Café"
    assert query(warehouse, "select count(*) n from audit.audit_rejected_rows")["n"][0] == 0
    recon = query(warehouse, "select source_table, raw_rows from audit.audit_row_reconciliation")
    assert dict(zip(recon["source_table"], recon["raw_rows"], strict=True)) == \
        {name: len(frame) for name, frame in tables.items()}


def test_everything_rejected_still_builds_and_says_so(clean, tmp_path):
    """Every transaction has an unknown status: all are rejected with that reason, the
    customers remain (with no activity, segmented by tenure alone), and the report renders."""
    tables = copy.deepcopy(clean)
    tables["transactions"]["transaction_status"] = "redeemed"
    tables["transactions"]["burn_date"] = None
    folder = write_folder(tables, tmp_path / "in")
    warehouse = tmp_path / "w.duckdb"
    result = couponseg("run", "--input", folder, "--warehouse", warehouse, "--out",
                       tmp_path / "out")
    audit = query(warehouse, "select reason, count(*) n from audit.audit_rejected_rows group by 1")
    assert dict(zip(audit["reason"], audit["n"], strict=True)) == {
        "unknown_transaction_status": len(tables["transactions"])}
    features = query(warehouse, "select * from marts.customer_features")
    assert len(features) == len(tables["customers"]) and not features["has_transactions"].any()
    names = query(warehouse, "select distinct segment_name from segments.customer_segments")
    assert names["segment_name"].str.startswith(("Never activated", "New joiners")).all()
    assert "unknown_transaction_status" in result.stdout
    assert "WARNING: every row of transactions was rejected" in result.stdout
    assert (tmp_path / "out" / "dashboard.pdf").exists()


def test_every_customer_rejected_fails_with_the_reasons(clean, tmp_path):
    """Gender ids written as letters: every gender is invalid, so every customer and every
    transaction is rejected in turn, and the run has no as-of date: the build fails. The
    reasons come from the failed build's own audit, read before its file is discarded, not
    only the names of the tests that failed downstream."""
    tables = copy.deepcopy(clean)
    tables["genders"] = pd.DataFrame({"gender_id": ["M", "F"],
                                      "gender_name": ["Male", "Female"]})
    folder = write_folder(tables, tmp_path / "in")
    result = couponseg("build", "--input", folder, "--warehouse", tmp_path / "w.duckdb",
                       check=False)
    assert result.returncode == 1
    assert "WARNING: every row of customers, genders, transactions was rejected" in result.stderr
    reasons = {tuple(line.split()[:3]) for line in result.stderr.splitlines()
               if line.startswith("  ") and "(first at row" in line}
    assert reasons == {("genders", "invalid_gender_id", "2"),
                       ("customers", "unknown_gender_id", f"{len(tables['customers']):,}"),
                       ("transactions", "unknown_customer_id",
                        f"{len(tables['transactions']):,}")}
    assert not (tmp_path / "w.duckdb").exists()


def test_a_date_typed_a_year_late_is_warned_about(clean, tmp_path):
    """A burn typed a year late is plausible (inside the feed's range) and kept, and as the
    latest date it becomes the as-of date: the build says so, since it lies further after
    the last claim than the burn window allows for the last claims' burns."""
    tables = copy.deepcopy(clean)
    tx = tables["transactions"]
    burnt = tx.index[tx["burn_date"].notna() & (tx["burn_date"] != "")][-1]
    claim = dt.date.fromisoformat(str(tx["transaction_date"].max())[:10])
    tx.loc[burnt, "burn_date"] = (claim + dt.timedelta(days=300)).isoformat()
    folder = write_folder(tables, tmp_path / "in")
    result = couponseg("build", "--input", folder, "--warehouse", tmp_path / "w.duckdb")
    assert "WARNING: the as-of date" in result.stdout
    assert f"({claim.isoformat()})" in result.stdout
    # an as-of date the user gave is not a typo to warn about
    given = couponseg("build", "--input", folder, "--warehouse", tmp_path / "given.duckdb",
                      "--as-of", (claim + dt.timedelta(days=300)).isoformat())
    assert "WARNING" not in given.stdout
    # unless it lies beyond the feed's plausible dates (an --as-of typed 9999-12-31, say)
    beyond = couponseg("build", "--input", folder, "--warehouse", tmp_path / "far.duckdb",
                       "--as-of", "9999-12-31")
    assert "WARNING: --as-of 9999-12-31 is after this feed's latest plausible date" in \
        beyond.stdout


def test_typed_parquet_is_judged_like_text(clean, tmp_path):
    """Parquet keeps its types in raw; staging takes typed ids and dates as they are and
    still rejects what does not fit: a non-whole DOUBLE id, one beyond 2^53, a duplicate
    typed key, a burn before its claim. Timestamps and day-first text dates in a Parquet file
    are accepted."""
    t = copy.deepcopy(clean)
    tx = t["transactions"]
    first = tx.iloc[0].to_dict()
    base_id = len(tx) + 5000
    bad_id = append(tx, **{**first, "transaction_id": str(base_id), "customer_id": "12.5"})
    dup = append(tx, **{**first})
    early = append(tx, **{**first, "transaction_id": str(base_id + 1),
                          "transaction_status": "burned", "transaction_date": "2024-02-10",
                          "burn_date": "2024-02-01"})
    kept = append(tx, **{**first, "transaction_id": str(base_id + 2),
                         "transaction_status": "burned", "transaction_date": "2024-02-10",
                         "burn_date": "2024-02-12"})
    # Beyond 2^53 a DOUBLE is not the id that was written (read as ...992): invalid, never
    # rounded onto another customer.
    beyond = append(tx, **{**first, "transaction_id": str(base_id + 3),
                           "customer_id": str(2**53 + 1)})
    folder = tmp_path / "typed"
    folder.mkdir()
    typed = {
        "customers": t["customers"].astype({"customer_id": "int64", "city_id": "int64",
                                             "gender_id": "int64"})
        .assign(join_date=lambda f: pd.to_datetime(f["join_date"])),  # TIMESTAMP
        "transactions": tx.assign(
            transaction_id=tx["transaction_id"].astype("int64"),
            customer_id=tx["customer_id"].astype("float64"),  # DOUBLE, one value 12.5
            branch_id=tx["branch_id"].astype("int64"),
            transaction_date=pd.to_datetime(tx["transaction_date"]).dt.date,  # DATE
        ),  # burn_date stays text
    }
    for name, frame in {**t, **typed}.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    warehouse = tmp_path / "w.duckdb"
    couponseg("build", "--input", folder, "--warehouse", warehouse)
    types = query(warehouse, "select column_name, data_type from information_schema.columns "
                  "where table_schema = 'raw' and table_name = 'raw_transactions'")
    assert dict(zip(types["column_name"], types["data_type"], strict=True))[
        "transaction_id"] == "BIGINT"
    audit = query(warehouse, "select source_row, reason from audit.audit_rejected_rows "
                  "where source_table = 'transactions'")
    reasons = dict(zip(audit["source_row"], audit["reason"], strict=True))
    assert reasons == {bad_id: "invalid_customer_id", dup: "duplicate_row",
                       early: "burn_before_claim", beyond: "invalid_customer_id"}
    row = query(warehouse, f"select * from marts.fct_coupon_transactions "
                f"where transaction_id = {base_id + 2}").iloc[0]
    assert row["days_to_burn"] == 2 and row["status"] == "burnt"
    staged = query(warehouse, f"select transaction_id from staging.stg_transactions "
                   f"where source_row = {kept}")
    assert list(staged["transaction_id"]) == [base_id + 2]
    recon = query(warehouse, "select * from audit.audit_row_reconciliation")
    assert recon["reconciles"].all()


def test_parquet_ids_a_float32_or_a_date_cannot_hold_are_rejected(clean, tmp_path):
    """A 4-byte FLOAT id column is exact only below 2^24: 16777217 arrives as 16777216.0 and
    is invalid, not kept as another customer's id; NaN is no value (missing), as the null
    tokens are in text. A DATE where an id belongs makes every
    value invalid (not a SQL error): the merchants are rejected and, in turn, their
    branches and every transaction; the build still succeeds and reconciles."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = copy.deepcopy(clean)
    first = t["customers"].iloc[0].to_dict()
    rounded = append(t["customers"], **{**first, "customer_id": str(2**24 + 1)})
    no_value = append(t["customers"], **{**first, "customer_id": "nan"})  # NaN: no value
    folder = tmp_path / "in"
    folder.mkdir()
    for name, frame in t.items():
        if name not in ("customers", "merchants"):
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    customers = t["customers"]
    pq.write_table(pa.table({
        # from a NumPy array: NaN stays NaN (from a Series pyarrow would write it as null)
        "customer_id": pa.array(customers["customer_id"].astype("float64").to_numpy(),
                                pa.float32()),
        **{c: pa.array(customers[c].astype(str)) for c in customers.columns
           if c != "customer_id"},
    }), folder / "customers.parquet")
    merchants = t["merchants"]
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(len(merchants))]
    pq.write_table(pa.table({"merchant_id": pa.array(days, pa.date32()),
                             "merchant_name": pa.array(merchants["merchant_name"].astype(str))}),
                   folder / "merchants.parquet")
    warehouse = tmp_path / "w.duckdb"
    couponseg("build", "--input", folder, "--warehouse", warehouse)
    audit = query(warehouse, "select source_table, source_row, reason "
                  "from audit.audit_rejected_rows")
    customer_reasons = audit[audit["source_table"] == "customers"]
    assert dict(zip(customer_reasons["source_row"], customer_reasons["reason"],
                    strict=True)) == {rounded: "invalid_customer_id",
                                      no_value: "missing_customer_id"}
    by_table = audit.groupby("source_table")["reason"].agg(set).to_dict()
    assert by_table["merchants"] == {"invalid_merchant_id"}
    assert by_table["branches"] == {"unknown_merchant_id"}
    assert by_table["transactions"] == {"unknown_branch_id"}
    assert query(warehouse, "select count(*) n from staging.stg_customers "
                 f"where customer_id = {2**24}")["n"][0] == 0
    assert query(warehouse, "select bool_and(reconciles) ok "
                 "from audit.audit_row_reconciliation")["ok"][0]


def test_a_city_nobody_lives_in_is_listed_with_none(damaged):
    """The demographics page counts every staged city and names the smallest: a city with
    no customer is on it with 0, not left out."""
    cities = query(damaged["warehouse"], "select city_name, customers "
                   "from reporting.rpt_customers_by_city")
    staged = query(damaged["warehouse"], "select distinct city_name from staging.stg_cities")
    assert set(cities["city_name"]) == set(staged["city_name"])
    assert dict(zip(cities["city_name"], cities["customers"], strict=True))["Hurghada"] == 0
    facts = query(damaged["warehouse"], "select city_count, smallest_city "
                  "from reporting.rpt_insight_facts").iloc[0]
    assert facts["city_count"] == len(staged) and facts["smallest_city"] == "Hurghada"


def _us_date(text: object) -> object:
    """An ISO date as a US spreadsheet exports it (m/d/yyyy, no leading zeros)."""
    if not isinstance(text, str) or not text:
        return text
    day = dt.date.fromisoformat(text[:10])
    return f"{day.month}/{day.day}/{day.year}"


def test_dates_written_month_first_are_rejected_not_swapped(clean, tmp_path):
    """A US export writes burn dates m/d/yyyy: 5/22/2024 reads only month-first, so the
    column is month-first, and read day-first every burn date with a day of 12 or less
    would have its day and month swapped, silently. Every d/m or m/d burn date of that
    column is rejected as month_first_burn_date instead, the rows raw = kept + rejected,
    and no kept transaction holds a burn date other than the file's."""
    tables = copy.deepcopy(clean)
    tx = tables["transactions"]
    burnt = tx["burn_date"].notna() & (tx["burn_date"] != "")
    tx.loc[burnt, "burn_date"] = tx.loc[burnt, "burn_date"].map(_us_date)
    warehouse = tmp_path / "w.duckdb"
    couponseg("build", "--input", write_folder(tables, tmp_path / "in"), "--warehouse", warehouse)
    reasons = query(warehouse, "select source_row, reason from audit.audit_rejected_rows "
                               "where source_table = 'transactions'")
    burnt_rows = set(tx.index[burnt] + 2)
    assert set(reasons.loc[reasons["reason"] == "month_first_burn_date", "source_row"]) \
        == burnt_rows - set(reasons.loc[reasons["reason"] != "month_first_burn_date",
                                        "source_row"])
    kept_burns = query(warehouse, "select count(*) as n from staging.stg_transactions "
                                  "where burn_date is not null")
    assert kept_burns["n"][0] == 0
    # The ISO join and claim dates show no order of their own: they follow the feed
    # (month-first), and being ISO, none of them is rejected for it.
    flags = query(warehouse, "select * from staging.plausible_date_range")
    assert flags[["join_date_month_first", "transaction_date_month_first",
                  "burn_date_month_first"]].values.tolist() == [[True, True, True]]
    assert set(query(warehouse, "select reason from audit.audit_rejected_rows")["reason"]) \
        <= {"month_first_burn_date"}


def test_a_month_first_date_in_a_day_first_column_is_only_that_row(clean, tmp_path):
    """A column with dates that read only day-first (25/03/2024) is day-first: one date
    that reads only month-first there (3/25/2024, a typing slip) is that row's invalid date,
    and the other day-first dates are kept as written."""
    tables = copy.deepcopy(clean)
    tx = tables["transactions"]
    days = tx["transaction_date"].str[:10].map(dt.date.fromisoformat)
    first, second = tx.index[[day.day > 12 for day in days]][:2]  # each its own date, reworded
    tx.loc[first, "transaction_date"] = days[first].strftime("%d/%m/%Y")
    tx.loc[second, "transaction_date"] = _us_date(tx.loc[second, "transaction_date"])
    warehouse = tmp_path / "w.duckdb"
    couponseg("build", "--input", write_folder(tables, tmp_path / "in"), "--warehouse", warehouse)
    reasons = query(warehouse, "select source_row, reason from audit.audit_rejected_rows "
                               f"where source_table = 'transactions' "
                               f"and source_row in ({first + 2}, {second + 2})")
    assert reasons.values.tolist() == [[second + 2, "invalid_transaction_date"]]
    kept = query(warehouse, "select claim_date from staging.validated_transactions "
                            f"where source_row = {first + 2}")
    assert kept["claim_date"][0] == pd.Timestamp(days[first])
