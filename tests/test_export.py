"""`couponseg export`: files that reconcile with segments.campaign_audience, CSV cells a
spreadsheet cannot run, and one clear message with exit code 2 when the export is impossible.

The hostile input is generated data whose merchant names start with = + - @ and whose burnt
claims at one merchant share a formula-like coupon name, so merchant and coupon names that a
spreadsheet would run reach the recommendations and the audience."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import couponseg, query

from couponseg.export import COLUMNS, OFFER_COLUMNS, UNSAFE_FIRST
from couponseg.generate import generate

PREFIXES = ("=", "+", "-", "@")
FORMULA_COUPON = "=HYPERLINK(\"http://x\",\"win\")"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A warehouse built from generated input with spreadsheet-formula names."""
    folder = tmp_path_factory.mktemp("hostile_input")
    generate(folder, customers=600, seed=11)
    merchants = pd.read_csv(folder / "merchants.csv")
    merchants["merchant_name"] = [f"{PREFIXES[i % 4]}{name}"
                                  for i, name in enumerate(merchants["merchant_name"])]
    merchants.to_csv(folder / "merchants.csv", index=False)
    tx = pd.read_csv(folder / "transactions.csv")
    burnt_at_branch_1 = (tx["branch_id"] == 1) & (tx["transaction_status"] == "burned")
    tx.loc[burnt_at_branch_1, "coupon_name"] = FORMULA_COUPON
    tx.to_csv(folder / "transactions.csv", index=False)
    warehouse = tmp_path_factory.mktemp("hostile") / "warehouse.duckdb"
    couponseg("build", "--input", folder, "--warehouse", warehouse)
    return warehouse


def _audience(warehouse: Path, segment: str | None = None) -> pd.DataFrame:
    where = f" where segment_name = '{segment}'" if segment else ""
    return query(warehouse, f"select {', '.join(COLUMNS)} from segments.campaign_audience"
                            f"{where} order by customer_id")


def _offers(warehouse: Path, segment: str | None = None) -> pd.DataFrame:
    """The recommended offers of the segments with treatment customers (the others get no
    campaign, so a CRM joining on segment_id must find none of theirs)."""
    where = f" and segment_name = '{segment}'" if segment else ""
    return query(warehouse, f"select {', '.join(OFFER_COLUMNS)} from "
                            f"segments.segment_offer_affinity where is_recommended{where} "
                            "and segment_id in (select segment_id from "
                            "segments.campaign_audience where campaign_group = 'treatment') "
                            "order by segment_id, recommendation_rank")


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _restore(cell: str) -> str:
    """The documented reverse of the export's rule: drop one leading apostrophe."""
    return cell[1:] if cell.startswith("'") else cell


def test_hostile_names_reach_the_audience(hostile):
    names = query(hostile, "select merchant_name from marts.dim_merchants")["merchant_name"]
    assert {n[0] for n in names} == set(PREFIXES)  # staging kept the names as given
    offers = _audience(hostile)["recommended_offers"].dropna()
    assert any(o.startswith(PREFIXES) for o in offers)
    coupon = query(hostile, "select * from segments.segment_offer_affinity "
                            f"where coupon_name = '{FORMULA_COUPON}'")
    assert not coupon.empty and coupon["is_recommended"].any()


def test_csv_cells_never_start_a_formula_and_reconcile(hostile, tmp_path):
    couponseg("export", "--warehouse", hostile, "--out", tmp_path)
    rows = _csv_rows(tmp_path / "campaign_audience.csv")
    assert tuple(rows[0]) == COLUMNS
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(UNSAFE_FIRST[:-1]), cell  # = + - @ tab CR LF
    mart = _audience(hostile)
    assert len(rows) - 1 == len(mart)
    for row, expected in zip(rows[1:], mart.itertuples(index=False), strict=True):
        for cell, value in zip(row, expected, strict=True):
            want = "" if pd.isna(value) else (
                f"{value:%Y-%m-%d}" if isinstance(value, pd.Timestamp) else str(value))
            assert _restore(cell) == want
    escaped = [c for r in rows[1:] for c in r if c.startswith("'")]
    assert any(c[1] == "=" for c in escaped) and any(c[1] in "+-@" for c in escaped)


def test_offers_file_has_one_row_per_offer_with_its_merchant(hostile, tmp_path):
    """recommended_offers joins names with '; ': the offers file gives each offer its own
    row, rank, merchant and coupon, with the same safe cells, and the manifest lists it."""
    couponseg("export", "--warehouse", hostile, "--out", tmp_path)
    rows = _csv_rows(tmp_path / "campaign_offers.csv")
    offers = _offers(hostile)
    assert tuple(rows[0]) == OFFER_COLUMNS and len(rows) - 1 == len(offers) > 0
    for row, expected in zip(rows[1:], offers.itertuples(index=False), strict=True):
        assert not any(cell.startswith(UNSAFE_FIRST[:-1]) for cell in row), row
        assert [_restore(c) for c in row] == ["" if pd.isna(v) else str(v) for v in expected]
    coupon_offers = offers[offers["offer_level"] == "coupon"]
    assert not coupon_offers.empty and coupon_offers["merchant_name"].notna().all()
    audience = _audience(hostile)
    treated = audience["campaign_group"] == "treatment"
    assert treated.any() and (~treated).any()
    # Only treatment rows name offers: a CRM sending every row with an offer reaches no one else.
    assert audience.loc[~treated, "recommended_offers"].isna().all()
    by_segment = audience[treated].drop_duplicates("segment_id").set_index("segment_id")
    for segment_id, group in offers.groupby("segment_id"):
        if segment_id in by_segment.index:
            assert by_segment.loc[segment_id, "recommended_offers"] == \
                "; ".join(group["offer_name"])
    manifest = json.loads((tmp_path / "campaign_audience.manifest.json").read_text())
    assert [f["name"] for f in manifest["files"]] == ["campaign_audience.csv",
                                                       "campaign_offers.csv"]
    assert manifest["files"][1]["rows"] == len(offers)


def test_offers_of_segments_without_a_campaign_are_not_exported(hostile, tmp_path):
    """A segment the campaign does not target keeps its recommendations in the warehouse,
    but its offers stay out of the file: joined to the audience on segment_id, they would
    reach its no_campaign customers."""
    warehouse = tmp_path / "untargeted.duckdb"
    shutil.copy(hostile, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        segment_id = con.execute(
            "select min(segment_id) from segments.campaign_audience a where campaign_group = "
            "'treatment' and exists (select 1 from segments.segment_offer_affinity o "
            "where o.segment_id = a.segment_id and is_recommended)").fetchone()[0]
        con.execute("update segments.campaign_audience set campaign_group = 'no_campaign', "
                    "recommended_offers = null where segment_id = ?", [segment_id])
    assert segment_id is not None
    for fmt in ("csv", "parquet"):
        couponseg("export", "--warehouse", warehouse, "--out", tmp_path / fmt, "--format", fmt)
        path = tmp_path / fmt / f"campaign_offers.{fmt}"
        exported = pd.read_csv(path) if fmt == "csv" else pq.read_table(path).to_pandas()
        assert segment_id not in set(exported["segment_id"])
        assert len(exported) == len(_offers(warehouse)) > 0
    name = query(warehouse, "select distinct segment_name from segments.campaign_audience "
                            f"where segment_id = {segment_id}")["segment_name"].item()
    couponseg("export", "--warehouse", warehouse, "--out", tmp_path / "one", "--segment", name)
    assert len(_csv_rows(next((tmp_path / "one").glob("campaign_offers_*.csv")))) == 1


def test_a_warehouse_naming_offers_outside_treatment_is_not_exported(hostile, tmp_path):
    """Builds before format 2 named offers on holdout rows too: exported as format 2, a CRM
    sending every row with an offer would reach the holdout. Refused, nothing written."""
    old = tmp_path / "old.duckdb"
    shutil.copy(hostile, old)
    with duckdb.connect(str(old)) as con:
        con.execute("update segments.campaign_audience set recommended_offers = 'an offer' "
                    "where campaign_group <> 'treatment'")
        named = con.execute("select count(*) from segments.campaign_audience "
                            "where campaign_group <> 'treatment'").fetchone()[0]
    assert named > 0
    _fails("--warehouse", old, "--out", tmp_path / "o",
           expected=f"segments.campaign_audience names offers for {named:,} holdout or "
                    "no_campaign customers, as builds before format 2 did; build the "
                    "warehouse again with this version, then export (no file was written)")
    assert not (tmp_path / "o").exists()


def test_parquet_reconciles_and_manifest_counts(hostile, tmp_path):
    # An earlier CSV export in the same folder: the manifest will describe the Parquet file
    # only, so the CSV must not stay beside it for a CRM to pick up.
    couponseg("export", "--warehouse", hostile, "--out", tmp_path)
    assert (tmp_path / "campaign_audience.csv").exists()
    result = couponseg("export", "--warehouse", hostile, "--out", tmp_path, "--format",
                       "parquet")
    assert "Warning" not in result.stderr  # no DuckDB warning about Arrow copies
    assert not (tmp_path / "campaign_audience.csv").exists()
    path = tmp_path / "campaign_audience.parquet"
    # Every column optional, whatever this week's rows hold: the schema a CRM pins does not
    # change when a column gets its first null.
    assert all(field.nullable for field in pq.read_schema(path))
    exported = duckdb.sql(f"select * from read_parquet('{path}') order by customer_id").df()
    mart = _audience(hostile)
    pd.testing.assert_frame_equal(exported.reset_index(drop=True), mart, check_dtype=False)
    manifest = json.loads((tmp_path / "campaign_audience.manifest.json").read_text())
    offers = tmp_path / "campaign_offers.parquet"
    assert not (tmp_path / "campaign_offers.csv").exists()
    assert manifest["files"] == [{
        "name": file.name, "rows": rows, "bytes": file.stat().st_size,
        "sha256": hashlib.sha256(file.read_bytes()).hexdigest()}
        for file, rows in ((path, len(mart)), (offers, len(_offers(hostile))))]
    counts = mart.groupby(["segment_name", "campaign_group"]).size()
    assert {(c["segment_name"], c["campaign_group"]): c["customers"]
            for c in manifest["counts"]} == counts.to_dict()
    settings = query(hostile, "select * from segments.campaign_settings").iloc[0]
    assert manifest["as_of_date"] == f"{settings['as_of_date']:%Y-%m-%d}"
    assert manifest["campaign"]["holdout_share"] == settings["holdout_share"]
    assert manifest["format_version"] == 2  # recommended_offers on treatment rows only
    assert manifest["run_id"] == int(
        query(hostile, "select max(run_id) as r from segments.segment_history")["r"][0])
    model = manifest["model"]
    assert model["algorithm"] and model["model_version"] == int(
        query(hostile, "select max(model_version) as v from segments.customer_segments")["v"][0])


def test_one_segment(hostile, tmp_path):
    name = _offers(hostile)["segment_name"].iloc[0]  # a segment with offers
    result = couponseg("export", "--warehouse", hostile, "--out", tmp_path,
                       "--segment", name.upper())
    files = [p for p in tmp_path.glob("campaign_audience_*.csv")]
    assert len(files) == 1 and f"{len(_audience(hostile, name)):,} customers" in result.stdout
    rows = _csv_rows(files[0])[1:]
    assert {r[2] for r in rows} == {name} and len(rows) == len(_audience(hostile, name))
    offers = _csv_rows(tmp_path / files[0].name.replace("campaign_audience", "campaign_offers"))
    assert {r[1] for r in offers[1:]} == {name} and len(offers) - 1 == len(
        _offers(hostile, name))


def test_read_only_warehouse_folder_exports(hostile, tmp_path):
    """The export only reads: a warehouse in a read-only folder is fine."""
    folder = tmp_path / "ro"
    folder.mkdir()
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(hostile, warehouse)
    warehouse.chmod(0o444)
    folder.chmod(0o555)
    try:
        couponseg("export", "--warehouse", warehouse, "--out", tmp_path / "out")
    finally:
        folder.chmod(0o755)
    assert (tmp_path / "out" / "campaign_audience.csv").exists()


def _fails(*args: object, expected: str) -> None:
    result = couponseg("export", *args, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr, result.stderr


def test_exit_2_cases(hostile, tmp_path):
    _fails("--warehouse", tmp_path / "missing.duckdb", "--out", tmp_path / "o",
           expected="does not exist")
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    _fails("--warehouse", junk, "--out", tmp_path / "o", expected="is not a DuckDB warehouse")
    csv_file = tmp_path / "campaign_audience.csv"  # a user pointing at last week's export
    csv_file.write_text("customer_id,segment_id\n1,0\n")
    _fails("--warehouse", csv_file, "--out", tmp_path / "o",
           expected="is not a DuckDB warehouse")
    _fails("--warehouse", tmp_path, "--out", tmp_path / "o", expected="is a folder")
    _fails("--warehouse", hostile, "--out", tmp_path / "o", "--segment", "No such segment",
           expected="unknown segment 'No such segment'")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    _fails("--warehouse", hostile, "--out", blocker / "sub", expected="cannot write to output")
    stripped = tmp_path / "no_campaigns.duckdb"
    shutil.copy(hostile, stripped)
    with duckdb.connect(str(stripped)) as con:
        con.execute("drop table segments.campaign_audience")
    _fails("--warehouse", stripped, "--out", tmp_path / "o",
           expected="has no table segments.campaign_audience")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_segment_file_names_keep_letters_of_any_script():
    """A segment named in Arabic (the playbook seed may be translated) got the file name
    campaign_audience_.csv, the same for every such segment."""
    from couponseg.export import _slug

    assert _slug("New joiners 2", 1) == "new_joiners_2"
    assert _slug("عُملاء جدد", 1) == "عُملاء_جدد"  # the mark stays with its letter
    assert _slug("हिंदी ग्राहक", 1) == "हिंदी_ग्राहक"
    assert _slug("Cafe\u0301 -- Lovers!", 1) == "café_lovers"  # NFC: one é
    assert {_slug("★", 3), _slug("☆", 4)} == {"segment_3", "segment_4"}


def test_exports_of_earlier_runs_in_the_folder_are_named_then_pruned(hostile, tmp_path):
    """A retrain that renames a segment leaves last week's per-segment files beside this
    week's: the export names them (a CRM importing the folder would send them too), and
    --prune-older removes exactly the files their manifests list, as they were written."""
    segment = _audience(hostile)["segment_name"].iloc[0]
    couponseg("export", "--warehouse", hostile, "--out", tmp_path, "--segment", segment)
    last_week = next(tmp_path.glob("campaign_audience_*.manifest.json"))
    manifest = json.loads(last_week.read_text())
    listed = [tmp_path / f["name"] for f in manifest["files"]]
    manifest["run_id"] = (manifest["run_id"] or 1) - 1  # as an earlier run wrote it
    last_week.write_text(json.dumps(manifest))
    (tmp_path / "notes.txt").write_text("the CRM team's own file")

    warned = couponseg("export", "--warehouse", hostile, "--out", tmp_path).stdout
    assert "Warning: the folder also holds exports of earlier runs" in warned
    assert f"run {manifest['run_id']}, as of {manifest['as_of_date']}: " in warned
    assert all(path.name in warned and path.exists() for path in [*listed, last_week])

    pruned = couponseg("export", "--warehouse", hostile, "--out", tmp_path,
                       "--prune-older").stdout
    assert f"Removed the export of run {manifest['run_id']}" in pruned
    assert not any(path.exists() for path in [*listed, last_week])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "campaign_audience.csv", "campaign_audience.manifest.json", "campaign_offers.csv",
        "notes.txt"]
    # This run's per-segment export is not older, so nothing is pruned; beside this run's
    # export of every segment it would send those customers twice: the export says so.
    again = couponseg("export", "--warehouse", hostile, "--out", tmp_path, "--segment",
                      segment, "--prune-older").stdout
    assert "earlier runs" not in again and "Removed" not in again
    assert "also holds this run's audience exported with another scope" in again
    assert "every segment: campaign_audience.csv" in again
    assert (tmp_path / "campaign_audience.csv").exists()
    full = couponseg("export", "--warehouse", hostile, "--out", tmp_path).stdout
    assert f"segment {segment}: campaign_audience_" in full
    # Two segments of one run hold no customer twice: nothing to say about each other.
    (tmp_path / "campaign_audience.manifest.json").unlink()
    other = next(name for name in _audience(hostile)["segment_name"] if name != segment)
    second = couponseg("export", "--warehouse", hostile, "--out", tmp_path, "--segment",
                       other).stdout
    assert "another scope" not in second, second


def test_pruning_never_removes_this_export_a_newer_one_or_a_changed_file(hostile, tmp_path):
    """An archived copy of an old manifest that names this week's file names, a later run's
    export (a backfill exported into the live folder), a file edited since its export and
    a manifest naming the folder itself or its parent: --prune-older removes none of them."""
    couponseg("export", "--warehouse", hostile, "--out", tmp_path)
    this = json.loads((tmp_path / "campaign_audience.manifest.json").read_text())
    archived = {**this, "run_id": (this["run_id"] or 1) - 1}  # names this week's files
    (tmp_path / "campaign_audience_week25.manifest.json").write_text(json.dumps(archived))
    later_file = tmp_path / "campaign_audience_later.csv"
    later_file.write_text("customer_id\n1\n")
    later = {**this, "run_id": (this["run_id"] or 1) + 5, "files": [
        {"name": later_file.name, "bytes": later_file.stat().st_size,
         "sha256": hashlib.sha256(later_file.read_bytes()).hexdigest()}]}
    (tmp_path / "campaign_audience_later.manifest.json").write_text(json.dumps(later))
    edited = tmp_path / "campaign_audience_edited.csv"
    edited.write_text("as exported\n")
    old_edit = {**archived, "files": [
        {"name": edited.name, "bytes": edited.stat().st_size,
         "sha256": hashlib.sha256(edited.read_bytes()).hexdigest()}]}
    edited.write_text("changed by the CRM team since\n")
    (tmp_path / "campaign_audience_edited.manifest.json").write_text(json.dumps(old_edit))
    hostile_manifest = {**archived, "files": [{"name": n} for n in ("", ".", "..", None, "/etc")]}
    (tmp_path / "campaign_audience_odd.manifest.json").write_text(json.dumps(hostile_manifest))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    result = couponseg("export", "--warehouse", hostile, "--out", tmp_path, "--prune-older")
    assert "Traceback" not in result.stderr
    assert "exports of later runs than this one" in result.stdout
    assert "campaign_audience_later.csv" in result.stdout
    assert "kept campaign_audience_edited.csv" in result.stdout
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for name in ("campaign_audience.csv", "campaign_offers.csv", "campaign_audience_later.csv",
                 "campaign_audience_later.manifest.json", "campaign_audience_edited.csv",
                 "campaign_audience_edited.manifest.json"):
        assert name in after, name
    assert after["campaign_audience_later.csv"] == before["campaign_audience_later.csv"]
    assert after["campaign_audience_edited.csv"] == before["campaign_audience_edited.csv"]
    assert tmp_path.parent.exists()


def test_a_newer_runs_export_of_the_same_names_is_never_replaced(hostile, tmp_path):
    """An older warehouse (or a backfill) exported into the live folder would write the same
    file names as the newer run's export there: the export stops, naming both runs, and the
    folder keeps the newer export byte for byte. The same run exported again replaces its
    own files."""
    couponseg("export", "--warehouse", hostile, "--out", tmp_path)
    manifest_path = tmp_path / "campaign_audience.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    newer = {**manifest, "run_id": (manifest["run_id"] or 1) + 5}
    manifest_path.write_text(json.dumps(newer))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    result = couponseg("export", "--warehouse", hostile, "--out", tmp_path, "--prune-older",
                       check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"newer run (run {newer['run_id']}, as of {newer['as_of_date']})" in result.stderr
    assert f"(run {manifest['run_id']}, as of {manifest['as_of_date']})" in result.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before

    # A date this module never writes is not ours to judge: the export goes ahead.
    for odd in ("n/a", "20991231", "2099-12-31T00:00:00", 20991231, None):
        manifest_path.write_text(json.dumps({**newer, "as_of_date": odd}))
        assert couponseg("export", "--warehouse", hostile, "--out", tmp_path).returncode == 0
    manifest_path.write_text(json.dumps(manifest))  # this run's own export: replaced
    assert couponseg("export", "--warehouse", hostile, "--out", tmp_path).returncode == 0


def test_another_warehouses_exports_are_compared_by_date_and_never_pruned(hostile, tmp_path):
    """Run ids count within one warehouse's segment history (run 1 is every new warehouse's
    first): another feed's export was taken for an older run of this one and its files
    removed by --prune-older, and a newer-numbered run of another warehouse on the same date
    refused this export. Now another history's exports are named and left alone, and only
    a later as-of date stops an export of the same names."""
    couponseg("export", "--warehouse", hostile, "--out", tmp_path)
    manifest_path = tmp_path / "campaign_audience.manifest.json"
    this = json.loads(manifest_path.read_text())
    assert this["history_origin"]["input_fingerprint"] and this["run_id"] == 1
    elsewhere = {"as_of_date": "2001-01-01", "input_fingerprint": "another feed"}
    theirs = tmp_path / "campaign_audience_their_segment.csv"
    theirs.write_text("customer_id\n7\n")
    (tmp_path / "campaign_audience_their_segment.manifest.json").write_text(json.dumps(
        {**this, "history_origin": elsewhere, "as_of_date": "2001-01-01", "files": [
            {"name": theirs.name, "bytes": theirs.stat().st_size,
             "sha256": hashlib.sha256(theirs.read_bytes()).hexdigest()}]}))
    # Their run 9 on this export's date, in the files of this export's names: replaced.
    manifest_path.write_text(json.dumps({**this, "run_id": 9, "history_origin": elsewhere}))
    result = couponseg("export", "--warehouse", hostile, "--out", tmp_path, "--prune-older")
    assert "exports this export cannot tie to this warehouse's segment history" in \
        result.stdout
    assert f"its run 1, as of 2001-01-01: {theirs.name}" in result.stdout
    assert "Removed" not in result.stdout and theirs.read_text() == "customer_id\n7\n"
    assert json.loads(manifest_path.read_text()) == this
    # Their export of a later date in the same names: refused, as a later run of this one's.
    manifest_path.write_text(json.dumps({**this, "as_of_date": "2099-12-31", "run_id": 1,
                                         "history_origin": elsewhere}))
    result = couponseg("export", "--warehouse", hostile, "--out", tmp_path, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "holds an export of a later as-of date (2099-12-31) than this warehouse's " \
           f"({this['as_of_date']}), of a segment history this export cannot tie" in \
           " ".join(result.stderr.split())
    # A manifest written before manifests recorded the origin (last week's, on upgrading)
    # is not known to be this history's: named, never pruned.
    manifest_path.write_text(json.dumps(this))
    before = {**this}
    before.pop("history_origin")
    week = tmp_path / "campaign_audience_last_week.csv"
    week.write_text("customer_id\n8\n")
    (tmp_path / "campaign_audience_last_week.manifest.json").write_text(json.dumps(
        {**before, "as_of_date": "2001-01-01", "files": [
            {"name": week.name, "bytes": week.stat().st_size,
             "sha256": hashlib.sha256(week.read_bytes()).hexdigest()}]}))
    result = couponseg("export", "--warehouse", hostile, "--out", tmp_path, "--prune-older")
    assert week.exists() and f"as of 2001-01-01: {week.name}" in result.stdout


def test_an_export_without_a_holdout_says_so(hostile, tmp_path):
    """holdout_share 0 is allowed (a campaign meant for everyone), but a CRM team should
    not find out after the campaign that nothing can measure it: the export warns."""
    usual = couponseg("export", "--warehouse", hostile, "--out", tmp_path / "usual")
    assert "holdout" not in usual.stdout.lower()
    everyone = tmp_path / "everyone.duckdb"
    shutil.copy(hostile, everyone)
    with duckdb.connect(str(everyone)) as con:
        con.execute("update segments.campaign_audience set campaign_group = 'treatment', "
                    "recommended_offers = (select any_value(recommended_offers) from "
                    "segments.campaign_audience t where t.segment_id = "
                    "campaign_audience.segment_id and t.campaign_group = 'treatment') "
                    "where campaign_group = 'holdout'")
        treatment = con.execute("select count(*) from segments.campaign_audience "
                                "where campaign_group = 'treatment'").fetchone()[0]
    result = couponseg("export", "--warehouse", everyone, "--out", tmp_path / "all")
    assert (f"Warning: no holdout: all {treatment:,} targeted customers get offers"
            in result.stdout), result.stdout
    assert result.returncode == 0


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1+1",
                                  "'quoted"])
def test_every_unsafe_first_character_is_escaped_and_restorable(text: str) -> None:
    from couponseg.export import neutralise
    assert neutralise(text) == "'" + text
    assert _restore(neutralise(text)) == text
    assert neutralise("plain =1") == "plain =1"


def test_export_names_its_run_and_a_backfill_says_it_is_not_the_latest(hostile, tmp_path):
    """A backfill (--as-of an earlier date) built into the live warehouse replaces its marts:
    exported, the audience is the backfill's. The export names the run it sends and warns
    when the history holds a later one."""
    run = query(hostile, "select run_id, cast(as_of_date as varchar) as as_of "
                         "from segments.segment_runs order by run_id desc limit 1").iloc[0]
    usual = couponseg("export", "--warehouse", hostile, "--out", tmp_path / "usual").stdout
    assert f"Exported {len(_audience(hostile)):,} customers of run {run.run_id} as of " \
           f"{run.as_of}:" in usual
    assert "backfill" not in usual
    backfilled = tmp_path / "backfilled.duckdb"
    shutil.copy(hostile, backfilled)
    with duckdb.connect(str(backfilled)) as con:  # a later weekly run, then this backfill
        con.execute("insert into segments.segment_runs by name select run_id + 1 as run_id, "
                    "as_of_date + 7 as as_of_date, * exclude (run_id, as_of_date) "
                    "from segments.segment_runs")
    result = couponseg("export", "--warehouse", backfilled, "--out", tmp_path / "b").stdout
    assert (f"Warning: this audience is as of {run.as_of}, but the warehouse's segment "
            f"history holds a later run (run {run.run_id + 1}, as of ") in result, result


def test_an_export_of_the_same_run_built_again_from_another_input_is_superseded(
        hostile, tmp_path):
    """A warehouse restored from a backup and rebuilt makes another run of the same id and
    date from another input: the first build's export is superseded (older, prunable), not
    'this run's audience with another scope' that could never be pruned."""
    couponseg("export", "--warehouse", hostile, "--out", tmp_path)
    rebuilt = tmp_path.parent / "rebuilt.duckdb"
    shutil.copy(hostile, rebuilt)
    with duckdb.connect(str(rebuilt)) as con:
        con.execute("update marts.run_context set input_fingerprint = 'another input'")
    segment = _audience(hostile)["segment_name"].iloc[0]
    warned = couponseg("export", "--warehouse", rebuilt, "--out", tmp_path, "--segment",
                       segment).stdout
    assert "another scope" not in warned
    assert "(of another input: that run was built again since)" in warned
    pruned = couponseg("export", "--warehouse", rebuilt, "--out", tmp_path, "--segment",
                       segment, "--prune-older").stdout
    assert "Removed the export of run" in pruned
    assert not (tmp_path / "campaign_audience.csv").exists()
