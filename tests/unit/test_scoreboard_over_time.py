"""The scoreboard compared over time on hand-computed examples: composites record their indicators and
coverage, thin composites get no group or rank, and changes are taken over the indicators both years share."""

from __future__ import annotations

import pytest

from .test_scoreboard import SCORES, scoreboard_changes, scoreboard_rows

LATER = {
    # 2020: k2's dataset has ended; k1 and d1 go on
    ("AT11", 2020, "k1"): 0.9, ("AT11", 2020, "d1"): 0.7,
    ("AT12", 2020, "k1"): 0.4, ("AT12", 2020, "d1"): 0.2,
    ("AT13", 2020, "k1"): 0.1, ("AT13", 2020, "d1"): 0.0,
}  # fmt: skip
CHANGING_SET = {**{k: v for k, v in SCORES.items() if k[1] == 2019}, **LATER}


def test_a_change_is_taken_over_the_indicators_both_years_share(tmp_path):
    rows = scoreboard_rows(tmp_path, CHANGING_SET, min_coverage=0.5)
    overall = rows["AT11", 2020, "overall"]
    assert overall["composite"] == pytest.approx((0.9 + 0.7) / 2)
    assert overall["indicator_codes"] == ["d1", "k1"]
    assert overall["n_catalogue_indicators"] == 3 and overall["coverage"] == pytest.approx(2 / 3)
    # 2019 over k1 and d1 only: knowledge 1.0, demand 0.6 -> 0.8; 2020: 0.8. (Over all of 2019's
    # indicators the composite was 0.75, and the change would read +0.05 for an indicator leaving.)
    assert overall["previous_year"] == 2019 and overall["change_common_indicators"] == 2
    assert overall["change_since_previous"] == pytest.approx(0.0)
    assert overall["change_break_reason"] is None
    knowledge = rows["AT11", 2020, "knowledge_and_skills"]
    assert knowledge["coverage"] == pytest.approx(0.5) and knowledge["withheld_reason"] is None
    assert knowledge["change_since_previous"] == pytest.approx(0.9 - 1.0)
    assert rows["AT11", 2019, "overall"]["coverage"] == pytest.approx(1.0)


def test_the_changes_mart_indexes_both_years_over_the_same_indicators(tmp_path):
    change = scoreboard_changes(tmp_path, CHANGING_SET)["AT11", "overall", 2019, 2020]
    # the regions' overall composites over k1 and d1: 2019 (0.8, 0.3, 0.2), 2020 (0.8, 0.3, 0.05)
    before, after = (0.8, 0.3, 0.2), (0.8, 0.3, 0.05)
    assert change["n_common_indicators"] == 2 and change["common_coverage"] == pytest.approx(2 / 3)
    assert change["index_start"] == pytest.approx(100 * 0.8 / (sum(before) / 3))
    assert change["index_end"] == pytest.approx(100 * 0.8 / (sum(after) / 3))
    assert change["index_change"] == pytest.approx(change["index_end"] - change["index_start"])
    assert change["composite_change"] == pytest.approx(0.0) and change["break_reason"] is None


def test_a_composite_from_too_few_indicators_gets_no_group_rank_or_change(tmp_path):
    rows = scoreboard_rows(tmp_path, CHANGING_SET, min_coverage=0.9)
    thin = rows["AT11", 2020, "overall"]  # 2 of 3 catalogue indicators
    assert thin["composite"] == pytest.approx(0.8)  # still published, as a value
    assert thin["withheld_reason"] == "too_few_indicators"
    assert (thin["composite_index"], thin["performance_group"], thin["rank"]) == (None, None, None)
    assert thin["change_since_previous"] is None
    assert thin["change_break_reason"] == "too_few_common_indicators"
    full = rows["AT11", 2019, "overall"]
    assert full["withheld_reason"] is None and full["rank"] == 1


def test_the_average_and_ranks_are_over_adequately_covered_regions(tmp_path):
    scores = {k: v for k, v in SCORES.items() if k[1] == 2019 and k != ("AT13", 2019, "k2")}
    scores = {k: v for k, v in scores.items() if k != ("AT13", 2019, "d1")}  # AT13: 1 of 3
    rows = scoreboard_rows(tmp_path, scores)
    assert rows["AT13", 2019, "overall"]["withheld_reason"] == "too_few_indicators"
    assert rows["AT13", 2019, "overall"]["rank"] is None
    # the average of AT11 (0.75) and AT12 (0.25) only
    assert rows["AT11", 2019, "overall"]["composite_index"] == pytest.approx(150.0)
    assert [rows[r, 2019, "overall"]["rank"] for r in ("AT11", "AT12")] == [1, 2]
