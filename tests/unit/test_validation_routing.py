"""Which expectations GX evaluates on pandas frames and which are measured in DuckDB for GX."""

from __future__ import annotations

from clusterobs.validation import measured_in_duckdb

NOT_NULL = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "geo_code"}}
SMALL_SET = {
    "type": "expect_column_values_to_be_in_set",
    "kwargs": {"column": "measure", "value_set": ["employment", "wages_meur"]},
}
LARGE_SET = {
    "type": "expect_column_values_to_be_in_set",
    "kwargs": {"column": "geo_code", "value_set": [f"AT{i:03d}" for i in range(500)]},
}
EXPECTATIONS = [NOT_NULL, SMALL_SET, LARGE_SET]


def test_small_table_sends_only_large_value_sets_to_duckdb():
    assert measured_in_duckdb(EXPECTATIONS, 5_000, 1_000_000, 100) == (
        [LARGE_SET],
        [NOT_NULL, SMALL_SET],
    )


def test_large_table_is_measured_entirely_in_duckdb():
    assert measured_in_duckdb(EXPECTATIONS, 2_000_000, 1_000_000, 100) == (EXPECTATIONS, [])


def test_queries_and_disabled_routing_stay_with_gx():
    assert measured_in_duckdb(EXPECTATIONS, None, 0, 0) == ([], EXPECTATIONS)
    assert measured_in_duckdb(EXPECTATIONS, 5_000, None, None) == ([], EXPECTATIONS)


def test_an_expectation_duckdb_cannot_measure_keeps_the_rest_of_a_large_table_with_gx():
    other = {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "value"}}
    assert measured_in_duckdb([*EXPECTATIONS, other], 2_000_000, 1_000_000, 100) == (
        [LARGE_SET],
        [NOT_NULL, SMALL_SET, other],
    )
