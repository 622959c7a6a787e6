"""Whether Spark's tables are still what a snapshot copied, told without starting Spark.

`couponseg report --engine spark` renders a DuckDB copy of the reporting tables. Copying
them again meant a JVM and a query per table: 50-75 s on the real workbook, where the
build had copied the same tables a minute earlier. Each copy now records, beside itself,
the state of the files it was read from (every file under spark-warehouse/, by inode,
path, size and times of last change) and the identity of the copy it made; the report
copies again when either differs. Spark writes a table as new files, and dbt's on-run-start
hook on Spark rewrites audit.last_spark_dbt_run on every build, run, test or seed
(dbt_project/macros/spark_state.sql), so a run that only redefines a view changes the files
too. The metastore is left out: Derby rewrites its own files even when a session only
reads.

The state is told only for a warehouse in a local folder without symbolic links in it,
whose copied tables were all read from files inside it; otherwise (Spark Connect, a
warehouse at a URL, a Spark folder copied from another path, whose metastore still names
the old one) nothing is recorded and every report copies again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

STATE_SUFFIX = ".state.json"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def local_path(location: str) -> Path | None:
    """A folder Spark names by path or ``file:`` URL on this machine; None for any other
    place. Not by urlparse, which would read a ``#`` or ``?`` in a folder's name as the
    start of a fragment or query."""
    if location.startswith("file:"):
        location = location.removeprefix("file:")
        if location.startswith("//"):
            host, _, rest = location[2:].partition("/")
            if host not in ("", "localhost"):
                return None
            location = "/" + rest
    elif not location or _SCHEME.match(location):
        return None
    return Path(location).resolve()


def local_warehouse(settings: dict[str, str]) -> Path | None:
    """The folder of ``spark.sql.warehouse.dir`` in a session's settings (profiles.yml's
    server_side_parameters); None when the tables may live elsewhere."""
    if settings.get("spark.remote"):
        return None
    return local_path(settings.get("spark.sql.warehouse.dir", ""))


def within(files: list[str], folder: Path) -> bool:
    """Whether every file a copy was read from is inside ``folder``: the metastore keeps
    absolute locations, so a Spark folder copied or moved elsewhere (or a table given a
    location of its own) reads files the folder's state does not cover."""
    paths = [local_path(name) for name in files]
    return all(path is not None and path.is_relative_to(folder) for path in paths)


def fingerprint(folder: Path | None) -> str | None:
    """A digest of the folder's absolute path and of every file and folder under it. None
    when there is no such folder, a symbolic link is in it (a linked table's files are
    elsewhere) or a file vanished while it was read (a build is writing)."""
    if folder is None or not folder.is_dir():
        return None
    digest = hashlib.sha256(os.fsencode(folder.resolve()) + b"\0")
    try:
        for root, folders, files in os.walk(folder, onerror=_raise):
            folders.sort()
            for name in sorted(files) + folders:
                path = os.path.join(root, name)
                found = os.lstat(path)
                if stat.S_ISLNK(found.st_mode):
                    return None
                digest.update(os.fsencode(os.path.relpath(path, folder)) + b"\0" + (
                    f"{found.st_ino}\0{found.st_size}\0{found.st_mtime_ns}\0"
                    f"{found.st_ctime_ns}\n").encode())
    except OSError:
        return None
    return digest.hexdigest()


def _raise(error: OSError) -> None:
    raise error


def _identity(snapshot: Path) -> str | None:
    """The copy as a file: a write to it (an analyst's client opening it read-write) or
    another copy in its place changes it."""
    try:
        found = snapshot.stat()
    except OSError:
        return None
    return f"{found.st_ino}:{found.st_size}:{found.st_mtime_ns}:{found.st_ctime_ns}"


def state_file(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name + STATE_SUFFIX)


def record(snapshot: Path, state: str | None) -> None:
    """Record that ``snapshot``, as it is now, was copied from files in ``state``; with no
    state, forget any earlier record (the next report copies again)."""
    target = state_file(snapshot)
    if state is None or (identity := _identity(snapshot)) is None:
        target.unlink(missing_ok=True)
        return
    writing = target.with_name(target.name + ".writing")
    writing.write_text(json.dumps({"spark_files": state, "copy": identity}))
    os.replace(writing, target)


def recorded(snapshot: Path) -> str | None:
    """The state ``snapshot`` was copied from, if it is still the copy that was made then;
    None when there is no record or the copy changed since."""
    try:
        fields = json.loads(state_file(snapshot).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(fields, dict) or fields.get("copy") != _identity(snapshot):
        return None
    state = fields.get("spark_files")
    return state if isinstance(state, str) else None


def unchanged(snapshot: Path, warehouse: Path | None) -> bool:
    """True when ``snapshot`` is the copy made from the files ``warehouse`` holds now."""
    state = fingerprint(warehouse)
    return state is not None and recorded(snapshot) == state
