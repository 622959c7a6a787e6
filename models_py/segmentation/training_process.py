"""Train a segment model in a child process of its own.

Why a process: dbt runs Python models on its worker threads, inside dbt's own interpreter.
Model selection is ~150 small fits whose NumPy and scikit-learn calls are mostly too short to
let go of the interpreter lock for long, and while it trains, dbt's other thread runs the data
tests, which are pure Python too: the two took turns on one lock while the second core waited.
A child has its own interpreter, so training and dbt really run side by side. The child runs
exactly ``training.train``, so the model is the same as trained in-process (same sample, same
seed, same numbers); only where it runs changes. It dies with the dbt process that started it
(``processes.die_with``), so a killed build leaves nothing training.

The sample goes to the child as an Arrow stream on stdin (with the other arguments as JSON in
the stream's metadata), and the model row comes back as an Arrow stream on stdout.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import asdict

import pandas as pd
import pyarrow as pa

from models_py.processes import die_with
from models_py.segmentation.store import TrainingSettings

ARGUMENTS_KEY = b"couponseg.training"


class TrainingFailed(RuntimeError):
    """The child stopped for a reason other than a ValueError (which is re-raised as is)."""


def train_in_child(sample: pd.DataFrame, settings: TrainingSettings, version: int,
                   as_of: dt.date, fingerprint: str, reason: str) -> pa.Table:
    """``training.train(...)``, run in a child process; its errors are raised here with the
    child's own message (a ValueError stays a ValueError: it says what is wrong with the data)."""
    arguments = {"settings": asdict(settings), "version": version,
                 "as_of": pd.Timestamp(as_of).date().isoformat(), "fingerprint": fingerprint,
                 "reason": reason}
    table = pa.Table.from_pandas(sample, preserve_index=False)
    table = table.replace_schema_metadata({ARGUMENTS_KEY: json.dumps(arguments).encode()})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    child = subprocess.run(
        [sys.executable, "-m", "models_py.segmentation.training_process", str(os.getpid())],
        input=sink.getvalue().to_pybytes(), capture_output=True, check=False,
    )
    if child.returncode != 0:
        _raise_childs_error(child.returncode, child.stderr.decode(errors="replace"))
    return pa.ipc.open_stream(child.stdout).read_all()


def _raise_childs_error(returncode: int, stderr: str) -> None:
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    kind, _, message = last.partition(": ")
    if kind == "ValueError":
        raise ValueError(message)
    raise TrainingFailed(f"segment training stopped (exit code {returncode}): "
                         f"{last or 'no message'}")


def _main(parent: int) -> int:
    die_with(parent)
    from models_py.segmentation.training import train  # scikit-learn: in the child only

    table = pa.ipc.open_stream(sys.stdin.buffer.read()).read_all()
    arguments = json.loads(table.schema.metadata[ARGUMENTS_KEY])
    try:
        model = train(table.replace_schema_metadata(None).to_pandas(),
                      TrainingSettings(**arguments["settings"]), arguments["version"],
                      dt.date.fromisoformat(arguments["as_of"]), arguments["fingerprint"],
                      arguments["reason"])
    except ValueError as error:  # bad data, said in one line the parent re-raises
        print(f"ValueError: {error}", file=sys.stderr)
        return 1
    with pa.ipc.new_stream(sys.stdout.buffer, model.schema) as writer:
        writer.write_table(model)
    return 0


if __name__ == "__main__":
    sys.exit(_main(int(sys.argv[1])))
