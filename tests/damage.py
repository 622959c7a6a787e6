"""Builders of damaged inputs, made from clean generated data (no binary fixtures)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models_py.loader import TABLES


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_csv(folder / f"{t}.csv", dtype=object) for t in TABLES}


def write_workbook(tables: dict[str, pd.DataFrame], path: Path,
                   extra_sheets: dict[str, pd.DataFrame] | None = None) -> Path:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in {**tables, **(extra_sheets or {})}.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def write_folder(tables: dict[str, pd.DataFrame], folder: Path, **csv_options) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, **csv_options)
    return folder


def append(frame: pd.DataFrame, **values) -> int:
    """Append one row in place; return its spreadsheet row number (header = row 1)."""
    frame.loc[len(frame)] = [values.get(c) for c in frame.columns]
    return len(frame) + 1
