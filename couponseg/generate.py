"""Synthetic coupon data with planted behavioural archetypes.

The real workbook is made by a random faker, so it has almost no segment structure. To show
(and test) that the segmentation finds structure when it exists, this generator plants known
archetypes and writes each customer's archetype to ``archetypes.csv``. The six tables follow the
real workbook's schema and conventions exactly (statuses ``subscribed``/``burned``, 20 Egyptian
cities, 2 genders, 10 branches owned by 8 merchants out of 20, burn dates 0..89 days after claim
dates, claim dates on or after join dates).

Generation is vectorised over chunks of customers and streamed to disk, so memory stays bounded
at any size (5M customers / 50M transactions included). The same seed gives the same files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CITIES = [
    "Cairo", "Alexandria", "Giza", "Shubra El Kheima", "Port Said", "Suez", "Luxor", "Mansoura",
    "El Mahalla El Kubra", "Tanta", "Asyut", "Ismailia", "Fayyum", "Zagazig", "Aswan",
    "Damietta", "Damanhur", "Minya", "Beni Suef", "Qena",
]
GENDERS = ["Male", "Female"]
MERCHANTS = [
    "Rivas Group", "Peters-Acosta", "Duran, Perry and Stout", "Nile Fresh", "Delta Foods",
    "Pharaoh Fashion", "Cairo Coffee Co", "Sphinx Electronics", "Lotus Beauty", "Oasis Sports",
    "Red Sea Travel", "Giza Books", "Alex Bakery", "Luxor Home", "Sinai Outdoor",
    "Aswan Spices", "Memphis Toys", "Karnak Cinema", "Suez Auto", "Sahara Pets",
]
# 10 branches owned by 8 distinct merchants, as in the real workbook: 12 merchants own none.
BRANCH_MERCHANT = [11, 18, 8, 2, 5, 11, 14, 8, 3, 17]

JOIN_START = dt.date(2021, 7, 18)
CLAIM_END = dt.date(2024, 7, 14)


@dataclass(frozen=True)
class Archetype:
    """How one planted behaviour draws its customers' activity.

    Days are offsets from ``JOIN_START``; ``join`` is the window a member joins in, ``claims``
    the inclusive range of claims, ``claim_span`` how many days after joining claims fall in
    (``None``: any time up to the end), ``burn_p`` the chance a claim is burnt and ``burn_days``
    the range of days from claim to burn.
    """

    name: str
    share: float
    join: tuple[int, int]
    claims: tuple[int, int]
    claim_span: int | None
    burn_p: float
    burn_days: tuple[int, int]
    favourite_p: float


_END = (CLAIM_END - JOIN_START).days
ARCHETYPES = (
    Archetype("loyal_frequent_burner", 0.22, (0, _END - 420), (8, 13), None, 0.92, (0, 12), 0.8),
    Archetype("claim_and_forget", 0.26, (0, _END - 420), (5, 9), None, 0.06, (40, 89), 0.2),
    Archetype("dormant_one_timer", 0.27, (0, _END - 700), (1, 2), 45, 0.05, (20, 89), 0.5),
    Archetype("recent_joiner", 0.24, (_END - 100, _END - 15), (1, 3), 20, 0.95, (0, 30), 0.5),
    Archetype("never_active", 0.01, (0, _END - 30), (0, 0), 0, 0.0, (0, 0), 0.0),
)


def _draw_customers(rng: np.random.Generator, first_id: int, n: int) -> pd.DataFrame:
    """Draw customers with an archetype, demographics independent of behaviour."""
    shares = np.array([a.share for a in ARCHETYPES])
    kind = rng.choice(len(ARCHETYPES), size=n, p=shares / shares.sum())
    lo = np.array([a.join[0] for a in ARCHETYPES])[kind]
    hi = np.array([a.join[1] for a in ARCHETYPES])[kind]
    join_offset = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    return pd.DataFrame(
        {
            "customer_id": np.arange(first_id, first_id + n, dtype=np.int64),
            "join_offset": join_offset,
            "city_id": rng.integers(1, len(CITIES) + 1, size=n),
            "gender_id": rng.integers(1, len(GENDERS) + 1, size=n),
            "kind": kind,
            "favourite_branch": rng.integers(1, len(BRANCH_MERCHANT) + 1, size=n),
        }
    )


def _param(kind: np.ndarray, getter: Callable[[Archetype], float]) -> np.ndarray:
    return np.array([getter(a) for a in ARCHETYPES], dtype=np.float64)[kind]


def _draw_transactions(rng: np.random.Generator, cust: pd.DataFrame, first_tx: int,
                       claims_multiplier: int = 1) -> pa.Table:
    """Draw every claim (and its burn) of a chunk of customers, vectorised."""
    kind = cust["kind"].to_numpy()
    c_lo = claims_multiplier * _param(kind, lambda a: a.claims[0])
    c_hi = claims_multiplier * _param(kind, lambda a: a.claims[1])
    n_claims = (c_lo + np.floor(rng.random(len(kind)) * (c_hi - c_lo + 1))).astype(np.int64)
    owner = np.repeat(np.arange(len(kind)), n_claims)
    k = kind[owner]
    join = cust["join_offset"].to_numpy()[owner]
    span = np.array([a.claim_span if a.claim_span is not None else 10**6 for a in ARCHETYPES])[k]
    last = np.minimum(join + span, _END)
    claim = join + np.floor(rng.random(len(owner)) * (last - join + 1)).astype(np.int64)
    burnt = rng.random(len(owner)) < _param(k, lambda a: a.burn_p)
    b_lo, b_hi = _param(k, lambda a: a.burn_days[0]), _param(k, lambda a: a.burn_days[1])
    to_burn = (b_lo + np.floor(rng.random(len(owner)) * (b_hi - b_lo + 1))).astype(np.int64)
    favourite = rng.random(len(owner)) < _param(k, lambda a: a.favourite_p)
    branch = np.where(
        favourite,
        cust["favourite_branch"].to_numpy()[owner],
        rng.integers(1, len(BRANCH_MERCHANT) + 1, size=len(owner)),
    )
    order = np.lexsort((owner, claim))  # transactions arrive in claim-date order
    n = len(owner)
    ids = np.arange(first_tx, first_tx + n, dtype=np.int64)
    base = np.datetime64(JOIN_START, "D")
    claim_dates = base + claim[order].astype("timedelta64[D]")
    burn_dates = claim_dates + to_burn[order].astype("timedelta64[D]")
    is_burnt = burnt[order]
    return pa.table(
        {
            "transaction_id": ids,
            "customer_id": cust["customer_id"].to_numpy()[owner][order],
            "transaction_date": pa.array(claim_dates, pa.date32()),
            "transaction_status": pa.array(np.where(is_burnt, "burned", "subscribed")),
            "coupon_name": _coupon_names(rng, ids),
            "burn_date": pa.array(burn_dates, pa.date32(), mask=~is_burnt),
            "branch_id": branch[order].astype(np.int64),
        }
    )


_CODES = pa.array(
    [a + b + c for a in "abcdefghijkLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJklmnopqrstuvwxyz"
     for c in "ABCDEFGHIJKLMNopqrstuvwxyz"]
)


def _coupon_names(rng: np.random.Generator, ids: np.ndarray) -> pa.Array:
    """Codes like ``uNY-568``; the id suffix keeps them unique per row, as in the real data."""
    prefix = _CODES.take(pa.array(rng.integers(0, len(_CODES), size=len(ids))))
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(ids), pa.string()), "-")


def _lookup_tables() -> dict[str, pd.DataFrame]:
    return {
        "genders": pd.DataFrame({"gender_id": [1, 2], "gender_name": GENDERS}),
        "cities": pd.DataFrame({"city_id": range(1, 21), "city_name": CITIES}),
        "branches": pd.DataFrame(
            {"branch_id": range(1, 11), "merchant_id": BRANCH_MERCHANT}
        ),
        "merchants": pd.DataFrame({"merchant_id": range(1, 21), "merchant_name": MERCHANTS}),
    }


class _TableWriter:
    """Streams Arrow chunks to one CSV or Parquet file."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path, self.fmt, self._writer = path, fmt, None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            if self.fmt == "parquet":
                self._writer = pq.ParquetWriter(self.path, table.schema)
            else:
                self._writer = pacsv.CSVWriter(self.path, table.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def generate(
    out_dir: Path | str,
    customers: int = 1000,
    seed: int = 42,
    fmt: str = "csv",
    chunk_customers: int = 250_000,
    claims_multiplier: int = 1,
) -> dict[str, int]:
    """Write the six tables plus ``archetypes.csv`` to ``out_dir``; return row counts.

    ``claims_multiplier`` scales every archetype's claim counts (2 gives about 10 claims per
    customer, the shape of a platform with 5M customers and 50M transactions).
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = {t: _TableWriter(out / f"{t}.{fmt}", fmt) for t in ("customers", "transactions")}
    archetypes = _TableWriter(out / "archetypes.csv", "csv")
    counts = {"customers": 0, "transactions": 0}
    try:
        for start in range(0, customers, chunk_customers):
            n = min(chunk_customers, customers - start)
            cust = _draw_customers(rng, start + 1, n)
            tx = _draw_transactions(rng, cust, counts["transactions"] + 1, claims_multiplier)
            names["customers"].write(_customer_table(cust))
            names["transactions"].write(tx)
            archetypes.write(
                pa.table({
                    "customer_id": cust["customer_id"].to_numpy(),
                    "archetype": pa.array([ARCHETYPES[i].name for i in range(len(ARCHETYPES))])
                    .take(pa.array(cust["kind"].to_numpy())),
                })
            )
            counts["customers"] += n
            counts["transactions"] += tx.num_rows
    finally:
        for w in (*names.values(), archetypes):
            w.close()
    for table, frame in _lookup_tables().items():
        writer = _TableWriter(out / f"{table}.{fmt}", fmt)
        writer.write(pa.Table.from_pandas(frame, preserve_index=False))
        writer.close()
        counts[table] = len(frame)
    return counts


def _customer_table(cust: pd.DataFrame) -> pa.Table:
    join = np.datetime64(JOIN_START, "D") + cust["join_offset"].to_numpy().astype("timedelta64[D]")
    return pa.table(
        {
            "customer_id": cust["customer_id"].to_numpy(),
            "join_date": pa.array(join, pa.date32()),
            "city_id": cust["city_id"].to_numpy().astype(np.int64),
            "gender_id": cust["gender_id"].to_numpy().astype(np.int64),
        }
    )
