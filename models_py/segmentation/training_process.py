"""Train a segment model in a child process of its own.

Why a process: dbt runs Python models on its worker threads, inside dbt's own interpreter.
Model selection is ~180 small fits whose NumPy and scikit-learn calls are mostly too short to
let go of the interpreter lock for long, and while it trains, dbt's other thread runs the data
tests, which are pure Python too: the two took turns on one lock while the second core waited.
A child has its own interpreter, so training and dbt really run side by side. The child runs
exactly ``training.train``, so the model is the same as trained in-process (same sample, same
seed, same numbers); only where it runs changes. It dies with the dbt process that started it
(``processes.die_with``), so a killed build leaves nothing training.

The sample goes to the child as an Arrow stream on stdin (with the other arguments as JSON in
the stream's metadata), and the model row comes back as an Arrow stream on stdout, or, when
training fails, a JSON object saying why (exit code 1).
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import traceback
from dataclasses import asdict
from typing import BinaryIO

import pandas as pd
import pyarrow as pa

from models_py.processes import die_with, start_module, take_started
from models_py.segmentation.store import TrainingSettings

ARGUMENTS_KEY = b"couponseg.training"
STDERR_TAIL_LINES = 20


class TrainingFailed(RuntimeError):
    """The child stopped for a reason other than bad data (a ValueError from training, which
    is re-raised as a ValueError with the same message)."""


def train_in_child(sample: pd.DataFrame, settings: TrainingSettings, version: int,
                   as_of: dt.date, fingerprint: str, reason: str) -> pa.Table:
    """``training.train(...)``, run in a child process (the one the build started early,
    ``processes.start_early``, if any); its errors are raised here with the child's own
    message. What the child prints on stderr (warnings) is passed on."""
    arguments = {"settings": asdict(settings), "version": version,
                 "as_of": pd.Timestamp(as_of).date().isoformat(), "fingerprint": fingerprint,
                 "reason": reason}
    table = pa.Table.from_pandas(sample, preserve_index=False)
    table = table.replace_schema_metadata({ARGUMENTS_KEY: json.dumps(arguments).encode()})
    sink = pa.BufferOutputStream()
    _send(table, sink)
    child = take_started(__name__) or start_module(__name__)
    stdout, stderr_bytes = child.communicate(input=sink.getvalue().to_pybytes())
    stderr = stderr_bytes.decode(errors="replace")
    if child.returncode != 0:
        _raise_childs_error(child.returncode, stdout, stderr)
    sys.stderr.write(stderr)
    return pa.ipc.open_stream(stdout).read_all()


def _raise_childs_error(returncode: int, stdout: bytes, stderr: str) -> None:
    """The child's own account (a JSON object on stdout) when it gave one; else how it
    ended (a signal: killed, out of memory) and the end of what it printed."""
    try:
        failure = json.loads(stdout)
    except ValueError:
        failure = None
    if isinstance(failure, dict) and failure.get("bad_data"):
        raise ValueError(failure["message"])
    if isinstance(failure, dict):
        raise TrainingFailed(f"segment training stopped: {failure['type']}: "
                             f"{failure['message']}\n{failure['traceback']}")
    ending = (f"killed by {signal.Signals(-returncode).name}" if returncode < 0
              else f"exit code {returncode}")
    tail = "\n".join(stderr.strip().splitlines()[-STDERR_TAIL_LINES:]) or "no output"
    raise TrainingFailed(f"segment training process stopped ({ending}); its last output:\n"
                         f"{tail}")


def _main(parent: int) -> int:
    die_with(parent)
    from models_py.segmentation.training import train  # scikit-learn: in the child only

    table = pa.ipc.open_stream(sys.stdin.buffer.read()).read_all()
    arguments = json.loads(table.schema.metadata[ARGUMENTS_KEY])
    sample = table.replace_schema_metadata(None).to_pandas()
    try:
        model = train(sample, TrainingSettings(**arguments["settings"]), arguments["version"],
                      dt.date.fromisoformat(arguments["as_of"]), arguments["fingerprint"],
                      arguments["reason"])
    except Exception as error:  # noqa: BLE001 - every failure is reported to the parent
        _report(error, bad_data=isinstance(error, ValueError))
        return 1
    _send(model, sys.stdout.buffer)
    return 0


def _send(table: pa.Table, sink: pa.NativeFile | BinaryIO) -> None:
    """``table`` as an Arrow stream: the sample to the child, the model back."""
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)


def _report(error: Exception, bad_data: bool) -> None:
    """The failure as one JSON object on stdout, which the parent re-raises: a ValueError
    from training says what is wrong with the data, anything else is a fault of ours."""
    json.dump({"bad_data": bad_data, "type": type(error).__name__, "message": str(error),
               "traceback": traceback.format_exc()}, sys.stdout)


if __name__ == "__main__":
    sys.exit(_main(int(sys.argv[1])))
