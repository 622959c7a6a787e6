"""dbt unit tests (status normalisation, reject reasons, duplicates, feature edge cases).

Production builds skip them (dbt's advice: unit tests belong to development and CI, and typed
Parquet raw tables would not take their text fixtures), so they run here, against a copy of a
warehouse built from text input, with the real dbt."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from models_py.paths import DBT_PROJECT_DIR, PROFILES_DIR


def test_dbt_unit_tests_pass(built, tmp_path):
    warehouse = tmp_path / "unit.duckdb"
    shutil.copy(built.warehouse, warehouse)
    dbt = Path(sys.executable).parent / "dbt"
    target = tmp_path / "target"
    result = subprocess.run(
        [str(dbt), "test", "--select", "test_type:unit", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(PROFILES_DIR), "--target-path", str(target),
         "--vars", json.dumps({"input": str(built.input)})],
        env={**os.environ, "COUPONSEG_WAREHOUSE": str(warehouse)},
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    unit = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit) >= 3, [r["unique_id"] for r in results]
    assert {r["status"] for r in unit} == {"pass"}
