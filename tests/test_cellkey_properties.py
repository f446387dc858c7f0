"""Properties of the cell key method (contract section 6, rules 1-4), with a fixed test key."""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from data_access import cellkey
from data_access.cellkey import (
    KEY_SPACE,
    PERTURBATION_PROBABILITIES,
    SUPPRESSED,
    cell_key,
    count_with_key,
    perturbation,
    publish_count,
    publish_counts_expr,
    publish_percentage,
    publish_rate,
    publish_sessions_lost,
    record_key,
    record_keys,
)

TEST_KEY = b"test-key-for-the-cell-key-method-0123456789"
keys = st.integers(min_value=0, max_value=KEY_SPACE - 1)
counts = st.integers(min_value=0, max_value=100_000)


def test_record_key_is_the_first_four_bytes_of_the_hmac() -> None:
    import hashlib
    import hmac

    digest = hmac.new(TEST_KEY, b"children:C000001", hashlib.sha256).digest()
    assert record_key(TEST_KEY, "children", "C000001") == int.from_bytes(digest[:4], "big")
    assert record_keys(TEST_KEY, "children", ["C000001"]).to_list() == [int.from_bytes(digest[:4], "big")]
    # the table is part of the message: a child and a referral with the same id have different keys
    assert record_key(TEST_KEY, "children", "X1") != record_key(TEST_KEY, "referrals", "X1")
    with pytest.raises(ValueError):
        record_key(TEST_KEY, "attendance", "X1")
    with pytest.raises(ValueError):
        record_key(b"", "children", "X1")


def test_perturbation_table_boundaries() -> None:
    # u < 0.05 -> -3; exactly 0.05 -> -2 (2**32 * 5 / 100 is not an integer: check both sides of it)
    edge = KEY_SPACE * 5 // 100
    assert perturbation(0) == -3
    assert perturbation(edge) == -3  # 214748364 / 2**32 = 0.0499999...
    assert perturbation(edge + 1) == -2
    assert perturbation(KEY_SPACE // 2) == 0
    assert perturbation(KEY_SPACE - 1) == 3


@given(keys)
def test_a_true_zero_is_published_as_zero(key: int) -> None:
    assert publish_count(0, key) == 0


@given(st.integers(min_value=1, max_value=100_000), keys)
def test_no_published_count_is_one_to_four_and_the_change_is_at_most_three(n: int, key: int) -> None:
    published = publish_count(n, key)
    if published == SUPPRESSED:
        assert n + perturbation(key) < 5 and n <= 7
    else:
        assert isinstance(published, int)
        assert published >= 5
        assert abs(published - n) <= 3


@given(st.lists(st.tuples(st.booleans(), keys), max_size=60), st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None)
def test_the_same_records_give_the_same_value_in_any_order_or_partition(
    records: list[tuple[bool, int]], rng: random.Random
) -> None:
    frame = pl.DataFrame(
        {"flag": [f for f, _ in records], "record_key": [k for _, k in records]},
        schema={"flag": pl.Boolean, "record_key": pl.UInt32},
    )
    whole = frame.select(*count_with_key(pl.col("flag"), "record_key", "n")).row(0)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=rng.randrange(2**31)) if records else frame
    groups = shuffled.with_columns(part=pl.Series([rng.randrange(3) for _ in records], dtype=pl.Int64))
    parts = groups.group_by("part").agg(*count_with_key(pl.col("flag"), "record_key", "n"))
    total = int(parts.get_column("n").sum())
    key = cell_key(int(k) for k in parts.get_column("n__key").to_list())
    assert (total, key) == whole
    assert whole[1] == cell_key(k for f, k in records if f)
    assert publish_count(total, key) == publish_count(whole[0], whole[1])


@given(st.lists(st.tuples(counts, keys), min_size=1, max_size=40))
def test_the_polars_form_publishes_like_publish_count(cells: list[tuple[int, int]]) -> None:
    frame = pl.DataFrame(
        {"n": [n for n, _ in cells], "k": [k for _, k in cells]}, schema={"n": pl.Int64, "k": pl.UInt32}
    )
    shown = frame.select(publish_counts_expr(pl.col("n"), pl.col("k"))).to_series().to_list()
    assert shown == [None if (p := publish_count(n, k)) == SUPPRESSED else p for n, k in cells]


def test_the_change_follows_the_contracts_table() -> None:
    """(published - true) over 20,000 cells of real record keys matches rule 3's distribution (chi-square)."""
    rng = random.Random(20261202)
    ids = [f"C{i:07d}" for i in range(60_000)]
    keys_ = record_keys(TEST_KEY, "children", ids).to_list()
    changes = []
    for _ in range(20_000):
        members = rng.sample(range(len(keys_)), rng.randint(10, 40))  # counts ≥ 10: never c
        changes.append(perturbation(cell_key(keys_[i] for i in members)))
    observed = [changes.count(d) for d in sorted(PERTURBATION_PROBABILITIES)]
    expected = [PERTURBATION_PROBABILITIES[d] * len(changes) for d in sorted(PERTURBATION_PROBABILITIES)]
    assert sum(PERTURBATION_PROBABILITIES.values()) == pytest.approx(1.0)
    assert sum(d * p for d, p in PERTURBATION_PROBABILITIES.items()) == pytest.approx(0.0)
    assert chisquare(observed, expected).pvalue > 0.001


def test_rates_follow_rules_4_and_5() -> None:
    # 3 of 40 per 100 = 7.5; numerator c -> c; denominator below 10 -> c; denominator 0 -> nothing
    assert publish_rate(6, 40) == 15.0
    assert publish_rate(SUPPRESSED, 40) == SUPPRESSED
    assert publish_rate(0, 40) == 0.0
    assert publish_rate(6, 9) == SUPPRESSED
    assert publish_rate(0, 0) is None
    # a percentage is capped at 100: published 12 of published 11 -> 100.0
    assert publish_percentage(12, 11) == 100.0
    # 1/16 = 6.25% -> 6.3 (half away from zero, from the exact ratio)
    assert publish_percentage(5, 80) == 6.3
    # rule 5: fewer than 10 children in scope, or a complement that is c or below 10 (not a true 0)
    assert publish_percentage(5, 20, children=9) == SUPPRESSED
    assert publish_percentage(5, 20, children=30, complement=SUPPRESSED) == SUPPRESSED
    assert publish_percentage(5, 20, children=30, complement=7) == SUPPRESSED
    assert publish_percentage(5, 20, children=30, complement=0) == 25.0
    assert publish_percentage(5, 20, children=30, complement=10) == 25.0
    assert cellkey.publish_attendance_rate(900, 1000, 12) == 90.0
    assert cellkey.publish_attendance_rate(900, 1000, 9) == SUPPRESSED
    assert cellkey.publish_attendance_rate(0, 0, 12) is None
    # sessions lost: nearest 10, only with a shown event count
    assert publish_sessions_lost(34, 6) == 30
    assert publish_sessions_lost(35, 6) == 40
    assert publish_sessions_lost(35, SUPPRESSED) == SUPPRESSED
    assert publish_sessions_lost(0, 0) == 0
