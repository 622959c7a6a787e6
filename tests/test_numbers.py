"""dashboards.numbers.one_decimal writes a number as the SQL macro fmt_num(x, 1) does, so a
table printed from Python and a sentence built in SQL beside it show the same figure."""

from __future__ import annotations

import random

import duckdb

from dashboards.numbers import one_decimal

FMT_NUM_1 = "cast(round(cast(x as decimal(18, 4)), 1) as varchar)"  # macros/segment_features.sql


def test_one_decimal_equals_fmt_num() -> None:
    rng = random.Random(7)
    values = [78.25, 0.05, 1.15, 2.675, -1.25, 0.0, -0.0, -0.04, 19.2, 7.749999, 1e6 + 0.45]
    values += [round(rng.uniform(-1000, 1000), rng.randint(1, 6)) for _ in range(3000)]
    values += [n / 20 for n in range(-400, 400)]  # every .x5 between -20 and 20
    with duckdb.connect() as con:
        sql = con.execute(f"select list({FMT_NUM_1} order by i) from "
                          "(select unnest(?) as x, generate_subscripts(?, 1) as i)",
                          [values, values]).fetchone()[0]
    assert [one_decimal(v) for v in values] == sql


def test_a_setting_is_printed_with_every_digit_it_was_set_with() -> None:
    """holdout_share 0.125 was printed as 12 % on the campaign page."""
    from dashboards.numbers import setting_percent

    cases = {0.125: "12.5%", 0.1: "10%", 0.025: "2.5%", 0.5: "50%", 0.0: "0%", 0.333: "33.3%"}
    assert {share: setting_percent(share) for share in cases} == cases
