"""Forecast metrics on rankings and confusion tables computed by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from recoupe.gnn.chart import hit_rate_chart
from recoupe.gnn.metrics import (
    average_precision,
    brier,
    calibrate,
    choose_thresholds,
    evaluate,
    f1_scores,
    hit_rate_and_pai,
    hit_rate_at,
    hit_rate_curve,
    pai_at,
    references,
)

TEN_EQUAL = np.full(10, 0.1)
TEN_COUNTS = np.array([5, 0, 3, 0, 0, 0, 0, 0, 0, 2])
# ranks cells 0, 2, 9, then the rest
TEN_SCORES = np.array([0.9, 0.1, 0.8, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.7])


def test_top_ten_percent_of_ten_equal_cells_is_the_top_cell() -> None:
    assert hit_rate_at(TEN_SCORES, TEN_COUNTS, TEN_EQUAL, 0.10) == pytest.approx(0.5)
    assert pai_at(TEN_SCORES, TEN_COUNTS, TEN_EQUAL, 0.10) == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("fraction", "hit_rate", "pai"),
    [
        (0.01, 0.5, 5.0),  # 0.1 cell: at least one cell
        (0.05, 0.5, 5.0),  # 0.5 cell: half rounds up, one cell
        (0.20, 0.8, 4.0),  # two cells: 5 + 3 of 10
        (0.24, 0.8, 4.0),  # 2.4 cells: two
        (0.25, 1.0, 1 / 0.3),  # 2.5 cells: three
        (0.30, 1.0, 1 / 0.3),
    ],
)
def test_equal_cells_take_round_half_up_of_fraction_times_n(
    fraction: float, hit_rate: float, pai: float
) -> None:
    assert hit_rate_and_pai(TEN_SCORES, TEN_COUNTS, TEN_EQUAL, fraction) == pytest.approx((hit_rate, pai))


def test_twenty_equal_cells() -> None:
    counts = np.arange(20)  # cell k holds k incidents, 190 in all
    scores = np.arange(20.0)  # the busiest cell ranks first
    area = np.full(20, 0.05)
    assert hit_rate_at(scores, counts, area, 0.07) == pytest.approx(19 / 190)  # 1.4 cells: one
    assert hit_rate_at(scores, counts, area, 0.075) == pytest.approx(37 / 190)  # 1.5 cells: two
    assert hit_rate_at(scores, counts, area, 0.10) == pytest.approx(37 / 190)


def test_ties_go_to_the_lower_cell_index() -> None:
    scores = np.array([1.0, 2.0, 2.0, 0.0])
    counts = np.array([0, 0, 5, 1])
    area = np.full(4, 0.25)
    assert hit_rate_at(scores, counts, area, 0.25) == 0.0  # cell 1 before cell 2
    assert hit_rate_at(scores, counts, area, 0.50) == pytest.approx(5 / 6)
    assert hit_rate_at(np.zeros(4), counts, area, 0.75) == pytest.approx(5 / 6)  # cells 0, 1, 2


# Unequal cells, ranked 1, 3, 0, 2: cumulative shares 0.2, 0.3, 0.8, 1.0; counts 2, 1, 4, 3 in that order.
AREAS = np.array([0.5, 0.2, 0.2, 0.1])
SCORES = np.array([0.3, 0.9, 0.1, 0.5])
COUNTS = np.array([4, 2, 3, 1])


@pytest.mark.parametrize(
    ("fraction", "hit_rate", "covered"),
    [
        (0.05, 0.2, 0.2),  # the first cell alone already overshoots: still one cell
        (0.35, 0.3, 0.3),  # 0.3 is nearer 0.35 than 0.8: the crossing cell is left out
        (0.60, 0.7, 0.8),  # 0.8 is nearer 0.6 than 0.3: the crossing cell is taken
        (1.00, 1.0, 1.0),
    ],
)
def test_unequal_cells_take_the_crossing_cell_only_when_nearer(
    fraction: float, hit_rate: float, covered: float
) -> None:
    assert hit_rate_and_pai(SCORES, COUNTS, AREAS, fraction) == pytest.approx((hit_rate, hit_rate / covered))


def test_hit_rate_sums_over_origins_and_pai_divides_by_mean_covered_share() -> None:
    scores = np.stack([SCORES, [0.9, 0.1, 0.2, 0.3], [0.0, 0.0, 1.0, 0.0]])
    counts = np.stack([COUNTS, [1, 0, 0, 1], [0, 0, 0, 0]])
    # @0.35: origin 0 takes cells 1, 3: 3 of 10 incidents, share 0.3;
    # origin 1 takes cell 0 (share 0.5 is nearer 0.35 than 0): 1 of 2, share 0.5;
    # origin 2, without incidents, takes cell 2 (0.2 is nearer than 0.2 + 0.5): share 0.2
    hit_rate, pai = hit_rate_and_pai(scores, counts, AREAS, 0.35)
    assert hit_rate == pytest.approx(4 / 12)
    assert pai == pytest.approx((4 / 12) / ((0.3 + 0.5 + 0.2) / 3))


def test_the_ceiling_and_the_level_oracle_by_hand() -> None:
    # three origins over ten equal cells; one cell is 10 % of the area (and at least one is taken at 1 and 5 %)
    counts = np.zeros((3, 10))
    counts[0, [0, 2]] = 4, 1
    counts[1, [1, 2]] = 3, 1
    counts[2, [0, 2]] = 2, 1  # 12 incidents; the cells' means over the origins: 2, 1, 1, then 0
    found = references(counts, TEN_EQUAL)
    # the ceiling takes each origin's busiest cell: 4 + 3 + 2 of 12
    # the level oracle takes cell 0 every time, the highest mean: 4 + 0 + 2 of 12
    assert list(found) == ["level_oracle", "chance_ceiling", "ceiling"]
    for share in (1, 5, 10):
        assert found["ceiling"][f"hit_rate@{share}"] == pytest.approx(9 / 12)
        assert found["ceiling"][f"pai@{share}"] == pytest.approx(7.5)
        assert found["level_oracle"][f"hit_rate@{share}"] == pytest.approx(6 / 12)
        assert found["level_oracle"][f"pai@{share}"] == pytest.approx(5.0)


def test_the_chance_ceiling_tells_chance_from_changes_of_level() -> None:
    rng = np.random.default_rng(3)
    # counts that are chance around a level (ten cells at five a step, fifty origins): the real ceiling is
    # about the chance ceiling; at 10 % of the area (one cell) each is the mean of a maximum of ten draws
    chance = rng.poisson(5.0, size=(50, 10))
    found = references(chance, TEN_EQUAL)
    assert found["chance_ceiling"]["hit_rate@10"] == pytest.approx(found["ceiling"]["hit_rate@10"], rel=0.05)
    assert 0.17 < found["chance_ceiling"]["hit_rate@10"] < 0.21  # E[max of 10 Poisson(5)] / 50 = 0.19
    # the same level, but each cell's incidents all in one origin of its own: the ceiling takes all of them,
    # where chance around the level would give the same 0.19
    bursts = np.eye(10) * 50
    found = references(bursts, TEN_EQUAL)
    assert found["ceiling"]["hit_rate@10"] == 1.0 and found["level_oracle"]["hit_rate@10"] == 0.1
    assert 0.17 < found["chance_ceiling"]["hit_rate@10"] < 0.21
    # every incident in one cell: chance moves nothing
    assert (
        references(np.tile([[40.0] + [0.0] * 9], (5, 1)), TEN_EQUAL)["chance_ceiling"]["hit_rate@10"] == 1.0
    )
    # seeded: the same numbers every time
    assert references(chance, TEN_EQUAL) == references(chance, TEN_EQUAL)


def test_no_incidents_at_all_is_nan() -> None:
    assert all(
        math.isnan(v) for found in references(np.zeros((3, 10)), TEN_EQUAL).values() for v in found.values()
    )
    assert math.isnan(hit_rate_at(TEN_SCORES, np.zeros(10), TEN_EQUAL, 0.1))
    assert math.isnan(pai_at(TEN_SCORES, np.zeros(10), TEN_EQUAL, 0.1))


def test_hit_rate_curve_matches_single_fractions() -> None:
    fractions, rates = hit_rate_curve(TEN_SCORES, TEN_COUNTS, TEN_EQUAL, [0.1, 0.2, 0.3])
    assert fractions.tolist() == [0.1, 0.2, 0.3]
    assert rates == pytest.approx([0.5, 0.8, 1.0])


# F1: validation of two categories in four cells, thresholds by hand.
# Category 0, probs 0.9 0.8 0.3 0.1, positives 1 0 1 0: F1 at >= 0.1, 0.3, 0.8, 0.9 is 4/6, 4/5, 2/4, 2/3.
# Category 1, probs 0.6 0.2 0.4 0.7, positives 0 0 0 1: F1 at >= 0.2, 0.4, 0.6, 0.7 is 2/5, 2/4, 2/3, 2/2.
VAL_PROBS = np.array([[[0.9, 0.6], [0.8, 0.2], [0.3, 0.4], [0.1, 0.7]]])
VAL_POSITIVES = np.array([[[1, 0], [0, 0], [1, 0], [0, 1]]])


def test_thresholds_maximise_validation_f1() -> None:
    assert choose_thresholds(VAL_PROBS, VAL_POSITIVES).tolist() == [0.3, 0.7]


def test_threshold_without_positives_predicts_nothing() -> None:
    probs = np.array([[[0.2], [0.6]]])
    threshold = choose_thresholds(probs, np.zeros((1, 2, 1)))[0]
    assert threshold > 0.6
    assert f1_scores(probs, np.array([[[0], [1]]]), [threshold])[0] == 0.0


def test_micro_and_macro_f1_differ_when_categories_do() -> None:
    # category 0 (>= 0.3): predicts cells 0, 1, all four positive: TP 2, F1 = 4/6
    # category 1 (>= 0.7): predicts cell 0, positive is cell 3: TP 0, F1 = 0
    # category 2 (>= 0.5): nothing predicted, nothing positive: F1 undefined, left out of the macro mean
    probs = np.array([[[0.5, 0.8, 0.1], [0.4, 0.1, 0.1], [0.2, 0.1, 0.1], [0.1, 0.1, 0.1]]])
    positives = np.array([[[1, 0, 0], [1, 0, 0], [1, 0, 0], [1, 1, 0]]])
    micro, macro, per_category = f1_scores(probs, positives, [0.3, 0.7, 0.5])
    assert micro == pytest.approx(2 * 2 / (3 + 5))
    assert macro == pytest.approx(1 / 3)
    assert per_category[:2] == pytest.approx([2 / 3, 0.0])
    assert math.isnan(per_category[2])


def test_average_precision_by_hand() -> None:
    micro, macro, per_category = average_precision(VAL_PROBS, VAL_POSITIVES)
    # category 0: precision 1 at recall 1/2, 2/3 at recall 1; category 1: its positive ranks first
    assert per_category == pytest.approx([0.5 + 0.5 * 2 / 3, 1.0])
    assert macro == pytest.approx((5 / 6 + 1) / 2)
    # pooled order 0.9+ 0.8 0.7+ 0.6 0.4 0.3+: precision 1, 2/3, 1/2 at recall 1/3, 2/3, 1
    assert micro == pytest.approx((1 + 2 / 3 + 1 / 2) / 3)


def test_average_precision_of_a_category_without_positives_is_nan_and_left_out() -> None:
    probs = np.concatenate([VAL_PROBS, np.full((1, 4, 1), 0.5)], axis=2)
    positives = np.concatenate([VAL_POSITIVES, np.zeros((1, 4, 1))], axis=2)
    _, macro, per_category = average_precision(probs, positives)
    assert math.isnan(per_category[2])
    assert macro == pytest.approx((5 / 6 + 1) / 2)


def test_brier_of_a_constant_half_is_a_quarter() -> None:
    overall, per_category = brier(np.full((2, 3, 2), 0.5), np.array([[[1, 0]] * 3, [[0, 0]] * 3]))
    assert overall == 0.25
    assert per_category.tolist() == [0.25, 0.25]
    assert brier(VAL_POSITIVES.astype(float), VAL_POSITIVES)[0] == 0.0


def test_evaluate_overall_ranks_by_summed_scores_and_counts_all_incidents() -> None:
    # category 0 is TEN_SCORES / TEN_COUNTS; category 1 puts 6 incidents in cell 5, scored 0.8 there
    scores = np.zeros((1, 10, 2))
    counts = np.zeros((1, 10, 2), dtype=np.int64)
    scores[0, :, 0], counts[0, :, 0] = TEN_SCORES, TEN_COUNTS
    scores[0, 5, 1], counts[0, 5, 1] = 0.8, 6
    result = evaluate(scores, counts, TEN_EQUAL, thresholds=[0.75, 0.5])
    overall, per_category = result["overall"], result["per_category"]
    expected_keys = {"hit_rate@1", "hit_rate@5", "hit_rate@10", "pai@1", "pai@5", "pai@10"}
    expected_keys |= {"micro_f1", "macro_f1", "average_precision", "brier"}
    assert set(overall) == expected_keys
    assert set(per_category) == {0, 1}
    assert all(set(row) == expected_keys for row in per_category.values())
    # summed scores: cell 0 (0.9) first, then cell 5 (0.05 + 0.8): the top cell holds 5 of 16
    assert overall["hit_rate@10"] == pytest.approx(5 / 16)
    assert overall["pai@10"] == pytest.approx(5 / 16 / 0.1)
    assert per_category[0]["hit_rate@10"] == pytest.approx(0.5)
    assert per_category[1]["hit_rate@5"] == pytest.approx(1.0)
    # F1: category 0 predicts cells 0, 2 (both positive; 3 positives): 4/5; category 1 predicts cell 5: 1
    assert per_category[0]["micro_f1"] == per_category[0]["macro_f1"] == pytest.approx(0.8)
    assert per_category[1]["micro_f1"] == 1.0
    assert overall["micro_f1"] == pytest.approx(2 * 3 / (3 + 4))
    assert overall["macro_f1"] == pytest.approx(0.9)


def test_evaluate_reads_probabilities_apart_from_ranking_scores() -> None:
    counts = TEN_COUNTS.reshape(1, 10, 1)
    scores = TEN_SCORES.reshape(1, 10, 1)
    result = evaluate(scores, counts, TEN_EQUAL, [0.5], probs=np.full((1, 10, 1), 0.5))
    assert result["overall"]["hit_rate@10"] == pytest.approx(0.5)
    assert result["overall"]["brier"] == 0.25


def test_platt_scaling_recovers_the_rates_of_a_two_valued_score() -> None:
    # score 0: 20 % positive, score 1: 60 % positive, 1000 rows each
    scores_val = np.repeat([0.0, 1.0], 1000).reshape(1, 2000, 1)
    positives = np.concatenate([np.arange(1000) < 200, np.arange(1000) < 600]).reshape(1, 2000, 1)
    probs = calibrate(scores_val, positives, np.array([[[0.0], [1.0], [2.0]]]))
    assert probs[0, :2, 0] == pytest.approx([0.2, 0.6], abs=0.01)
    assert probs[0, 1, 0] < probs[0, 2, 0] < 1.0  # increasing, so the ranking is kept


def test_platt_falls_back_to_the_base_rate() -> None:
    scores_val = np.array([[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]])
    positives = np.array([[[0, 0], [0, 0], [0, 0], [0, 0]]])
    positives_decreasing = np.array([[[1, 0], [1, 0], [0, 0], [0, 0]]])
    assert calibrate(scores_val, positives, scores_val).tolist() == np.zeros((1, 4, 2)).tolist()
    # category 0: risk falls as the score rises (slope not positive): its base rate, 1/2
    assert calibrate(scores_val, positives_decreasing, scores_val)[..., 0].tolist() == [[0.5] * 4]


def test_hit_rate_chart_writes_a_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    counts = rng.poisson(rng.gamma(0.5, 1.0, size=400), size=(30, 400))
    area = np.full(400, 1 / 400)
    fractions = np.linspace(0.0025, 0.2, 80)
    curves = {
        "moyenne 30 j": hit_rate_curve(counts.mean(axis=0) + rng.random((30, 400)), counts, area, fractions),
        "gnn": hit_rate_curve(counts + rng.random((30, 400)), counts, area, fractions),
    }
    path = hit_rate_chart(curves, tmp_path / "hit_rate.png", "Taux de capture, test 2024")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000
