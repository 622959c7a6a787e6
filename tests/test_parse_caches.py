"""dbt's parse caches, one per set of dbt vars and profile settings (couponseg/build.py): the
key, and which caches are kept. The builds that use them are in test_segment_model (an
--as-of build does not spoil the weekly build's parse) and test_review_findings (a build
with no cache for its settings)."""

from __future__ import annotations

import os
import re

from conftest import REPO

from couponseg import build
from couponseg.build import DBT_DATABASE_NAME, parse_cache_for
from models_py.paths import WAREHOUSE_ENV

ENV = {WAREHOUSE_ENV: DBT_DATABASE_NAME, "HOME": "/root"}


def test_the_key_is_the_vars_and_what_the_profile_reads():
    weekly = parse_cache_for({"as_of": ""}, ENV)
    assert parse_cache_for({"as_of": ""}, dict(ENV)) == weekly
    assert parse_cache_for({"as_of": "2024-06-30"}, ENV) != weekly
    assert parse_cache_for({"as_of": "", "segment_retrain": True}, ENV) != weekly
    assert parse_cache_for({"as_of": ""}, {**ENV, "COUPONSEG_MEMORY_LIMIT": "4GB"}) != weekly
    assert parse_cache_for({"as_of": ""}, {**ENV, WAREHOUSE_ENV: "/x.building"}) \
        != weekly  # the fallback where the disk takes no symbolic links
    assert parse_cache_for({"as_of": ""}, {**ENV, "HOME": "/home/x"}) == weekly
    named = set(re.findall(r"COUPONSEG_\w+", (REPO / "profiles.yml").read_text()))
    assert len(named) > 5 and set(build.PROFILE_ENV) == named  # every variable it reads


def test_only_the_most_recently_used_caches_stay(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "KEPT_PARSE_CACHES", 3)
    for age in range(5):
        cache = tmp_path / f"partial_parse.{age}.msgpack"
        cache.write_bytes(b"x")
        os.utime(cache, (1_000_000 - age, 1_000_000 - age))
    (tmp_path / "other.txt").write_text("not a cache")
    for name, age in ((".partial_parse.0.msgpack.killed", 4000),
                      (".partial_parse.0.msgpack.now", 5)):
        (tmp_path / name).write_bytes(b"half")  # copies being published; one a kill left
        os.utime(tmp_path / name, (1_000_000 - age, 1_000_000 - age))
    build._remove_old_parse_caches(tmp_path, now=1_000_000)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".partial_parse.0.msgpack.now", "other.txt", "partial_parse.0.msgpack",
        "partial_parse.1.msgpack", "partial_parse.2.msgpack"]
