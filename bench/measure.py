"""Run one command; print its wall time and the peak RSS of its whole process tree as JSON.

Run as a fresh process per stage (``python -m bench.measure -- CMD ...``) so that
RUSAGE_CHILDREN covers exactly that stage's processes (dbt's child included).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> int:
    args = sys.argv[1:]
    timeout = None
    if args and args[0].startswith("--timeout="):
        timeout = float(args.pop(0).split("=", 1)[1])
    if args and args[0] == "--":
        args = args[1:]
    start = time.perf_counter()
    status = "ok"
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            status = f"failed (exit {proc.returncode}): {tail[0][:200]}"
        stdout = proc.stdout
    except subprocess.TimeoutExpired as exc:
        status = f"timeout after {timeout:.0f} s"
        stdout = exc.stdout or ""
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall_s": round(wall, 2), "peak_rss_mb": round(peak_kb / 1024, 1),
                      "status": status, "stdout_tail": stdout.strip().splitlines()[-3:]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
