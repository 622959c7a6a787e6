"""``couponseg export``: the campaign audience as files a CRM imports, plus a manifest.

Layout: ONE file with a segment column (``campaign_audience.csv`` or ``.parquet``; with
``--segment`` the file is named after the segment), one row per customer of
``segments.campaign_audience`` (treatment, holdout and no_campaign alike: the file is the
record of who was held out, which the readout in ``analyses/campaign_readout.sql`` needs).
Send offers to ``campaign_group = 'treatment'`` only. Beside it, ``campaign_offers.<format>``
(``campaign_offers_<segment>`` with ``--segment``): one row per recommended offer of those
segments, with its rank, merchant and coupon, since the audience's ``recommended_offers``
joins names with '; ' (ambiguous when a name holds one). ``<audience stem>.manifest.json``
gives the as-of date, the segmentation model, the campaign settings, counts per segment and
group, and each file's row count and sha256. An export in one format removes a file of the
same name in the other, left by an earlier export, so the folder never holds an audience
file its manifest does not describe.

CSV cells are safe to open in a spreadsheet (OWASP CSV injection): a text cell starting with
``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed gets a leading
apostrophe, and so does one that already starts with an apostrophe, so the rule reverses
exactly (drop one leading apostrophe) and the spreadsheet shows the original text. Parquet
keeps values as they are.

The warehouse is opened read-only (a read-only folder is fine); files are written under
temporary names and renamed, the manifest last, so a failed export leaves no half file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from couponseg import places

AUDIENCE = "segments.campaign_audience"
COLUMNS = (
    "customer_id", "segment_id", "segment_name", "campaign_group", "priority",
    "coupon_strategy", "recommended_offers", "recommendation_basis", "campaign_seed",
    "as_of_date",
)
# The offers, one row each (a CRM maps them by segment_id): recommended_offers joins their
# names with '; ', which a name holding '; ' makes ambiguous, and names a coupon without its
# merchant. Each column cast to its type, so the file's schema is the same whichever engine
# built the table (Spark's row_number() is an INT, DuckDB's a BIGINT).
OFFERS = "segments.segment_offer_affinity"
OFFER_TYPES = {
    "segment_id": "integer", "segment_name": "varchar", "recommendation_rank": "integer",
    "offer_level": "varchar", "merchant_id": "bigint", "merchant_name": "varchar",
    "coupon_name": "varchar", "offer_name": "varchar", "recommendation_basis": "varchar",
    "matured_burn_rate": "double", "lift": "double",
}
OFFER_COLUMNS = tuple(OFFER_TYPES)
FORMATS = ("csv", "parquet")
# The files' meaning, for a CRM that pins it: raised when a column changes what it holds.
# 1: recommended_offers on every row. 2 (2026-12-05): recommended_offers on treatment rows
# only (null for the holdout and no_campaign rows); the offers file beside the audience.
FORMAT_VERSION = 2
# OWASP's list, and a line feed: some spreadsheets trim leading white space before they
# decide a cell is a formula.
UNSAFE_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n", "'")
BATCH_ROWS = 100_000
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # the manifests' as_of_date


class ExportError(Exception):
    """Export impossible (warehouse, table, segment or output folder): exit code 2."""


@dataclass
class ExportResult:
    """What was written: the audience file, the manifest and the rows per file."""

    audience: Path
    manifest: Path
    rows: int
    offers: Path | None = None
    others: list[OtherExport] = field(default_factory=list)
    # Customers per campaign_group (treatment, holdout, no_campaign), from the manifest.
    groups: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None
    as_of_date: str | None = None
    # (run id, as-of date) of a run of this history dated after the exported one: the
    # warehouse's last build was a backfill, so the audience is not the current week's.
    later_run: tuple[int, str] | None = None

    @property
    def without_holdout(self) -> bool:
        """Offers go out with nobody held back (holdout_share 0, or a segment too small to
        draw one): the campaign's effect cannot be measured against a holdout."""
        return self.groups.get("treatment", 0) > 0 and self.groups.get("holdout", 0) == 0


@dataclass
class OtherExport:
    """Another run's export left in the same folder (a segment renamed by a retrain leaves
    last week's per-segment files beside this week's): its manifest, run, as-of date and
    the files it names that are still there, each with the size and sha256 it recorded."""

    manifest: Path
    run_id: object
    as_of_date: object
    files: dict[Path, tuple[object, object]]
    is_older: bool
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    # Another export of this same run (all segments beside one segment's): its scope.
    same_run_segment: str | None = None
    same_run: bool = False
    # Of another warehouse's segment history (another feed, or one built again from
    # nothing): its run ids count apart from this one's, so it is only named, never pruned.
    other_history: bool = False
    # Of this run's id and date but another input: the run was built again since (a
    # warehouse restored from a backup, then rebuilt); counted with the older ones.
    replaced: bool = False


def neutralise(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula (text cells only)."""
    if isinstance(value, str) and value.startswith(UNSAFE_FIRST):
        return "'" + value
    return value


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(value)


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    try:  # a folder, a missing file or not a DuckDB file: the report's checks and messages
        places.check_existing_warehouse(warehouse)
    except places.UnusablePlace as exc:
        raise ExportError(str(exc)) from exc
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise ExportError(f"cannot open warehouse {warehouse} read-only: {exc}") from exc


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(con.execute("select count(*) from information_schema.tables "
                            "where table_schema = ? and table_name = ?", [schema, name]
                            ).fetchone()[0])


def _require_table(con: duckdb.DuckDBPyConnection, warehouse: Path, table: str) -> None:
    if not _has_table(con, table):
        raise ExportError(f"warehouse {warehouse} has no table {table}: build it with "
                          "`couponseg build` (a warehouse built before the campaign models "
                          "needs a rebuild)")


def _segment_filter(con: duckdb.DuckDBPyConnection, segment: str | None) -> tuple[str, list]:
    if segment is None:
        return "", []
    names = [r[0] for r in con.execute(
        f"select distinct segment_name from {AUDIENCE} order by 1").fetchall()]
    match = [n for n in names if n.lower() == segment.strip().lower()]
    if not match:
        raise ExportError(f"unknown segment {segment!r}; segments in this warehouse: "
                          f"{', '.join(names)}")
    return " where segment_name = ?", [match[0]]


def _segment_id(con: duckdb.DuckDBPyConnection, name: str) -> int:
    return con.execute(f"select min(segment_id) from {AUDIENCE} where segment_name = ?",
                       [name]).fetchone()[0]


def _prepare_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".export-probe.{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ExportError(f"cannot write to output folder {out}: {exc.strerror or exc}") from exc


def _write_csv(con: duckdb.DuckDBPyConnection, sql: str, params: list, path: Path) -> int:
    cursor = con.execute(sql, params)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
        writer.writerow([column[0] for column in cursor.description])
        while batch := cursor.fetchmany(BATCH_ROWS):
            writer.writerows([_csv_cell(v) for v in row] for row in batch)
            rows += len(batch)
    return rows


def _write_parquet(con: duckdb.DuckDBPyConnection, sql: str, params: list, path: Path) -> int:
    """Through Arrow, every column optional: DuckDB's own writer marks a column with no null
    in this week's rows as required, so the file's schema would change with the data, and a
    CRM that pins the schema would refuse the week a column gets its first null. Streamed in
    batches: memory stays flat however many customers."""
    rows = 0
    with con.cursor() as cursor:  # a relation's reader, on a cursor of its own: no extra copy
        reader = cursor.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
        schema = pa.schema([field.with_nullable(True) for field in reader.schema])
        with pq.ParquetWriter(path, schema) as writer:
            for batch in reader:
                writer.write_table(pa.Table.from_batches([batch]).cast(schema))
                rows += batch.num_rows
    return rows


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, (_json_value(v) for v in row), strict=True))
            for row in cursor.fetchall()]


def _json_value(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _model(con: duckdb.DuckDBPyConnection) -> dict:
    """The segmentation that labelled the audience: the stored model version(s) that scored
    customer_segments (segments.segment_model), else whatever model columns it carries."""
    present = {r[0] for r in con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'segments' and table_name = 'customer_segments'").fetchall()}
    if "model_version" in present and _has_table(con, "segments.segment_model"):
        rows = _records(con, "select model_version, trained_as_of, algorithm, params "
                             "from segments.segment_model where model_version in "
                             "(select distinct model_version from segments.customer_segments) "
                             "order by model_version")
        return rows[0] if len(rows) == 1 else {"models": rows}
    wanted = [c for c in ("model_version", "algorithm", "model_params") if c in present]
    if not wanted:
        return {}
    rows = _records(con, f"select distinct {', '.join(wanted)} from segments.customer_segments")
    return rows[0] if len(rows) == 1 else {"models": rows}


def _run_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The segment run the audience's labels come from (the build's row of
    segments.segment_runs), so an imported file can be tied to segment_history (while that
    run's labels are kept there: segment_history_keep_runs may delete them later; the
    exported file itself is the record of who was in which group); None for a warehouse
    built before runs were recorded."""
    if not _has_table(con, "segments.segment_runs"):
        return None
    return con.execute("select max(run_id) from segments.segment_runs").fetchone()[0]


def _history_origin(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The first run of the warehouse's segment history (its as-of date and input), which
    every later build carries forward: run ids count within one history, so two exports'
    runs compare only when their origins agree. None before runs were recorded."""
    if not _has_table(con, "segments.segment_runs"):
        return None
    rows = _records(con, "select cast(as_of_date as varchar) as as_of_date, input_fingerprint "
                         "from segments.segment_runs order by run_id limit 1")
    return rows[0] if rows else None


def _same_history(one: dict, other: dict) -> bool:
    """Whether two manifests' runs are known to count in one history: both name the same
    origin, or neither does (exports of a warehouse from before runs were recorded). One
    written before manifests recorded the origin cannot be tied to this one's history, so
    it is treated as another's: named, never pruned, compared by date only."""
    return one.get("history_origin") == other.get("history_origin")


def _manifest(con: duckdb.DuckDBPyConnection, warehouse: Path | str, where: str, params: list,
              fmt: str, segment: str | None, files: list[dict]) -> dict:
    context = _records(con, "select as_of_date, input_name, input_fingerprint "
                            "from marts.run_context")[0]
    settings = _records(con, "select * exclude (as_of_date) from segments.campaign_settings")[0]
    counts = _records(con, "select segment_id, segment_name, campaign_group, "
                           f"count(*) as customers from {AUDIENCE}{where} "
                           "group by all order by segment_id, campaign_group", params)
    return {
        "format_version": FORMAT_VERSION,
        "as_of_date": context["as_of_date"],
        "input_name": context["input_name"],
        "input_fingerprint": context["input_fingerprint"],
        "warehouse": str(warehouse),
        "source_table": AUDIENCE,
        "run_id": _run_id(con),
        "history_origin": _history_origin(con),
        "model": _model(con),
        "campaign": settings,
        "segment": segment,
        "format": fmt,
        "layout": "one audience file, one row per customer, segment in a column; send offers "
                  "to campaign_group = 'treatment' only (the only rows whose "
                  "recommended_offers is filled in). The offers file: one row per "
                  "recommended offer of the segments with treatment rows, by rank (join "
                  "on segment_id, from treatment rows only)",
        "csv_cells": "text starting with = + - @ tab CR LF or ' gets a leading ' (OWASP); "
                     "drop one leading ' to restore" if fmt == "csv" else None,
        "counts": counts,
        "files": files,
    }


def _slug(name: str, segment_id: int) -> str:
    """The segment name as a file name: letters (with their marks) of any script and
    digits, the rest '_'; a name with none of them is named by its segment id, so two such
    segments never share a file."""
    text = unicodedata.normalize("NFC", name.lower())
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text)
    return "_".join(kept.split()) or f"segment_{segment_id}"


def _queries(stem: str, where: str) -> dict[str, str]:
    """File stem -> the query of its rows: the audience, then its segments' offers."""
    columns = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in OFFER_TYPES.items())
    # Only the segments the campaign targets: a CRM joining the audience to the offers on
    # segment_id would otherwise hand offers to the holdout and no_campaign rows of the rest.
    offers = (f"select {columns} from {OFFERS} "
              f"{where + ' and' if where else 'where'} is_recommended and segment_id in ("
              f"select segment_id from {AUDIENCE} where campaign_group = 'treatment') "
              "order by segment_id, recommendation_rank")
    return {stem: f"select {', '.join(COLUMNS)} from {AUDIENCE}{where} order by customer_id",
            offers_path(Path(stem)).name: offers}


def _write(con: duckdb.DuckDBPyConnection, out: Path, stem: str, fmt: str, where: str,
           params: list, manifest_of: Callable[[list[dict]], dict]) -> tuple[Path, Path, int]:
    """The files, then the manifest, each under a temporary name renamed when all are
    complete. Returns the audience, the manifest and the audience's rows."""
    write = _write_csv if fmt == "csv" else _write_parquet
    queries = _queries(stem, where)
    temporary = {name: out / f".{name}.{os.getpid()}.{fmt}" for name in queries}
    tmp_manifest = out / f".{stem}.{os.getpid()}.manifest.json"
    try:
        files = []
        for name, sql in queries.items():
            rows = write(con, sql, params, temporary[name])
            files.append({"name": f"{name}.{fmt}", "rows": rows,
                          "bytes": temporary[name].stat().st_size,
                          "sha256": _sha256(temporary[name])})
        tmp_manifest.write_text(json.dumps(manifest_of(files), indent=2, default=str) + "\n",
                                encoding="utf-8")
        for name, path in temporary.items():
            os.replace(path, out / f"{name}.{fmt}")
        os.replace(tmp_manifest, out / f"{stem}.manifest.json")
        for name in queries:  # the manifest describes the folder's one file of each name
            for other in set(FORMATS) - {fmt}:
                (out / f"{name}.{other}").unlink(missing_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot write to output folder {out}: {exc.strerror or exc}") from exc
    finally:
        for path in (*temporary.values(), tmp_manifest):
            path.unlink(missing_ok=True)
    return out / f"{stem}.{fmt}", out / f"{stem}.manifest.json", files[0]["rows"]


def offers_path(audience: Path) -> Path:
    """The offers file written beside an audience file."""
    return audience.with_name(audience.name.replace("campaign_audience", "campaign_offers", 1))


def export_audience(warehouse: Path, out: Path, fmt: str = "csv",
                    segment: str | None = None, source: str | None = None,
                    prune_older: bool = False) -> ExportResult:
    """Write the audience file and its manifest into ``out``. ``source``: what the
    manifest names as the warehouse when ``warehouse`` is a copy (the Spark engine's).
    ``prune_older``: remove the exports of earlier runs found in ``out`` (other_exports;
    never a newer run's, never a file changed since its export)."""
    if fmt not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    warehouse, out = Path(warehouse), Path(out)
    with _connect(warehouse) as con:
        for table in (AUDIENCE, OFFERS, "segments.campaign_settings", "marts.run_context"):
            _require_table(con, warehouse, table)
        _refuse_offers_outside_treatment(con, warehouse)
        where, params = _segment_filter(con, segment)
        _prepare_out(out)
        name = params[0] if params else None
        stem = "campaign_audience" + (f"_{_slug(name, _segment_id(con, name))}" if name else "")
        _refuse_replacing_newer(out / f"{stem}.manifest.json", con)
        audience, manifest, rows = _write(
            con, out, stem, fmt, where, params,
            lambda files: _manifest(con, source or warehouse, where, params, fmt, name, files))
        later = _later_run(con)
    others = other_exports(manifest)
    if prune_older:
        written = {audience, offers_path(audience), manifest}
        for export in others:
            if export.is_older:
                _prune(export, written)
    written = json.loads(manifest.read_text(encoding="utf-8"))
    return ExportResult(audience, manifest, rows, offers_path(audience), others,
                        _groups(written), written.get("run_id"), written.get("as_of_date"),
                        later)


def _later_run(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    """The latest-dated run of the segment history when it is later than this build's as-of
    date (this build was a backfill); None otherwise, or before runs were recorded."""
    if not _has_table(con, "segments.segment_runs"):
        return None
    row = con.execute(
        "select run_id, cast(as_of_date as varchar) from segments.segment_runs "
        "where as_of_date > (select as_of_date from marts.run_context) "
        "order by as_of_date desc, run_id desc limit 1").fetchone()
    return (row[0], row[1]) if row else None


def _groups(manifest: dict) -> dict[str, int]:
    groups: dict[str, int] = {}
    for count in manifest["counts"]:
        group = count["campaign_group"]
        groups[group] = groups.get(group, 0) + int(count["customers"])
    return groups


def _refuse_offers_outside_treatment(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """A warehouse built before format 2 (2026-12-05) names offers on holdout and
    no_campaign rows too; its export would say format 2 ("treatment rows only") to a CRM
    that sends every row with an offer, and spoil the holdout. Rebuilt, it exports."""
    named = con.execute(f"select count(*) from {AUDIENCE} where campaign_group <> 'treatment' "
                        "and recommended_offers is not null").fetchone()[0]
    if named:
        raise ExportError(
            f"{warehouse}: {AUDIENCE} names offers for {named:,} holdout or no_campaign "
            f"customers, as builds before format {FORMAT_VERSION} did; build the warehouse "
            "again with this version, then export (no file was written)")


def _refuse_replacing_newer(manifest: Path, con: duckdb.DuckDBPyConnection) -> None:
    """The export of a newer run (a later as-of date, or the same date and a later run) is
    never replaced by this one's files of the same names (an older warehouse, or a backfill,
    exported into the live folder): a CRM importing the folder would send an old audience
    without a word. A manifest that cannot be read is not ours to judge."""
    try:
        seen = json.loads(manifest.read_text(encoding="utf-8"))
        written = seen["as_of_date"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    if not (isinstance(written, str) and ISO_DATE.fullmatch(written)):
        return  # not a date as this module writes it (yyyy-mm-dd): not ours to judge
    as_of = _records(con, "select as_of_date from marts.run_context")[0]["as_of_date"]
    this_run = {"as_of_date": as_of, "run_id": _run_id(con), "history_origin": _history_origin(con)}
    newer, this = _run_order(seen), _run_order(this_run)
    if not _same_history(seen, this_run):  # another warehouse's runs: only dates compare
        if newer[0] > this[0]:
            raise ExportError(
                f"{manifest.parent} holds an export of a later as-of date ({newer[0]}) than "
                f"this warehouse's ({this[0]}), of a segment history this export cannot tie "
                f"to this warehouse's (another feed, a warehouse built again from nothing, or "
                f"an export older than manifests recording it), in the files this export "
                f"would write ({manifest.name} and the files it names); export into another "
                "folder, or remove that export first")
        return
    if newer > this:
        raise ExportError(
            f"{manifest.parent} holds the export of a newer run (run {seen.get('run_id')}, "
            f"as of {seen.get('as_of_date')}) than this warehouse's (run {this[1]}, as of "
            f"{this[0]}), in the files this export would write ({manifest.name} and the "
            "files it names); export into another folder, or remove that export first")


def other_exports(manifest: Path) -> list[OtherExport]:
    """The exports of other runs in ``manifest``'s folder, by their manifests: older ones
    (an earlier as-of date, or the same date and an earlier run) and newer ones (a backfill,
    or an older warehouse exported into the live folder), and this run's exported with
    another scope (every segment beside one segment's: the same customers twice). A CRM
    that imports the whole folder would send them too. A manifest that cannot be read, or
    that names no plain file of this folder, is not ours to judge and is left out."""
    this = json.loads(manifest.read_text(encoding="utf-8"))
    found = []
    for other in sorted(manifest.parent.glob("campaign_audience*.manifest.json")):
        if other == manifest:
            continue
        try:
            seen = json.loads(other.read_text(encoding="utf-8"))
            records = {other.parent / f["name"]: (f.get("bytes"), f.get("sha256"))
                       for f in seen["files"] if _plain_name(f.get("name"))}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        order = _run_order(seen)
        if not records:
            continue
        present = {path: record for path, record in records.items() if path.exists()}
        if not _same_history(seen, this):  # another warehouse's: never older, never pruned
            found.append(OtherExport(other, seen.get("run_id"), seen.get("as_of_date"),
                                     present, is_older=False, other_history=True))
            continue
        # The same run id and date from another input: that run was built again (a warehouse
        # restored from a backup, then rebuilt), so the export it made is superseded.
        replaced = order == _run_order(this) and order[1] != -1 and None not in (
            seen.get("input_fingerprint"), this.get("input_fingerprint")) and seen.get(
            "input_fingerprint") != this.get("input_fingerprint")
        same = order == _run_order(this) and not replaced
        if same and (order[1] == -1 or None not in (seen.get("segment"), this.get("segment"))):
            continue  # two segments of one run (no customer in both), or runs without ids
        found.append(OtherExport(
            other, seen.get("run_id"), seen.get("as_of_date"), present,
            is_older=order < _run_order(this) or replaced, same_run=same,
            same_run_segment=seen.get("segment") if same else None, replaced=replaced))
    return found


def _plain_name(name: object) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and Path(name).name == name


def _run_order(manifest: dict) -> tuple[str, int]:
    """Runs in time: by as-of date, then run id (a manifest without one comes first)."""
    run_id = manifest.get("run_id")
    return (str(manifest.get("as_of_date") or ""),
            run_id if isinstance(run_id, int) and not isinstance(run_id, bool) else -1)


def _prune(export: OtherExport, written: set[Path]) -> None:
    """An older export's files, each only if it is still the file its manifest recorded
    (same size and sha256) and not one this export has just written; then its manifest,
    once none of its files is left."""
    try:
        for path, (size, digest) in export.files.items():
            unchanged = path.is_file() and not path.is_symlink() \
                and path.stat().st_size == size and _sha256(path) == digest
            if path in written or not unchanged:
                export.kept.append(path)
                continue
            path.unlink()
            export.removed.append(path)
        if not export.kept:
            export.manifest.unlink(missing_ok=True)
            export.removed.append(export.manifest)
    except OSError as exc:
        raise ExportError(f"cannot remove the older export {export.manifest}: "
                          f"{exc.strerror or exc}") from exc
