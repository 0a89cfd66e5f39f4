"""The final-selection ranking rule (`selection.service.rank`).

As documented in the module (and shown to candidates):
1. candidates who meet every category minimum come before those who do not;
2. higher total score first;
3. on equal totals, the higher score in the blueprint's first category, then in its
   second, and so on (a category without a score counts as 0);
4. then whoever finished the test earlier;
5. then the lower application number.
The order is strict, so a quota of N passes exactly N qualifying candidates (or fewer
when fewer qualify), even when the N-th place is tied on score. A threshold passes
every qualifying candidate whose total is at least the threshold. Candidates without a
result are not ranked and do not pass; they follow, by application number.

`SelectionRule` is a transient model instance; nothing touches a database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from exam_service.selection.models import OutcomeReason, SelectionMethod, SelectionRule
from exam_service.selection.service import Candidate, Ranked, rank
from tests.support.factories import invented_nik

D = Decimal
CATEGORIES = ["tiu", "twk", "tkp"]
START = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
# Finished at the same moment unless a test says otherwise.
FINISHED = START + timedelta(minutes=50)

PASSED = OutcomeReason.PASSED
NO_RESULT = OutcomeReason.NO_RESULT
BELOW_MINIMUM = OutcomeReason.BELOW_CATEGORY_MINIMUM
BELOW_THRESHOLD = OutcomeReason.BELOW_THRESHOLD
OUTSIDE_QUOTA = OutcomeReason.OUTSIDE_QUOTA


def candidate(
    application_id: int,
    score: str | None = "50",
    *,
    categories: dict[str, str] | None = None,
    finished_at: datetime | None = FINISHED,
) -> Candidate:
    """An invented candidate; `score=None` is one without a graded attempt."""
    graded = score is not None
    return Candidate(
        application_id=application_id,
        user_id=1000 + application_id,
        full_name=f"Peserta Uji {application_id}",
        nik=invented_nik(serial=application_id % 9999 + 1),
        attempt_id=application_id if graded else None,
        score=D(score) if graded else None,
        max_score=D(100) if graded else None,
        category_scores={k: D(v) for k, v in (categories or {}).items()},
        finished_at=finished_at if graded else None,
    )


def quota(n: int, minimums: dict[str, str] | None = None) -> SelectionRule:
    return SelectionRule(
        method=SelectionMethod.QUOTA, quota=n, threshold=None, category_minimums=minimums or {}
    )


def threshold(value: str, minimums: dict[str, str] | None = None) -> SelectionRule:
    return SelectionRule(
        method=SelectionMethod.THRESHOLD,
        quota=None,
        threshold=D(value),
        category_minimums=minimums or {},
    )


def outcome(rows: list[Ranked]) -> list[tuple[int, int | None, bool, OutcomeReason]]:
    """(application id, rank, passed, reason) of each row, in the order given."""
    return [(r.candidate.application_id, r.rank, r.passed, r.reason) for r in rows]


def order(rows: list[Ranked]) -> list[int]:
    return [r.candidate.application_id for r in rows]


# --- the order --------------------------------------------------------------------------


def test_higher_total_ranks_first():
    rows = rank([candidate(1, "60"), candidate(2, "80"), candidate(3, "70")], quota(3), CATEGORIES)

    assert outcome(rows) == [
        (2, 1, True, PASSED),
        (3, 2, True, PASSED),
        (1, 3, True, PASSED),
    ]


def test_equal_totals_are_broken_by_the_first_category():
    rows = rank(
        [
            candidate(1, "70", categories={"tiu": "20", "twk": "30", "tkp": "20"}),
            candidate(2, "70", categories={"tiu": "25", "twk": "20", "tkp": "25"}),
        ],
        quota(2),
        CATEGORIES,
    )

    assert order(rows) == [2, 1]


def test_equal_first_category_is_broken_by_the_second():
    rows = rank(
        [
            candidate(1, "70", categories={"tiu": "25", "twk": "20", "tkp": "25"}),
            candidate(2, "70", categories={"tiu": "25", "twk": "25", "tkp": "20"}),
        ],
        quota(2),
        CATEGORIES,
    )

    assert order(rows) == [2, 1]


def test_category_order_is_the_blueprints_not_alphabetical():
    both = [
        candidate(1, "70", categories={"tiu": "40", "twk": "30"}),
        candidate(2, "70", categories={"tiu": "30", "twk": "40"}),
    ]

    assert order(rank(both, quota(2), ["tiu", "twk"])) == [1, 2]
    assert order(rank(both, quota(2), ["twk", "tiu"])) == [2, 1]


def test_a_missing_category_score_counts_as_zero():
    rows = rank(
        [
            candidate(1, "70", categories={"twk": "70"}),
            candidate(2, "70", categories={"tiu": "1", "twk": "69"}),
        ],
        quota(2),
        CATEGORIES,
    )

    assert order(rows) == [2, 1]


def test_equal_scores_everywhere_are_broken_by_the_earlier_finish():
    parts = {"tiu": "30", "twk": "20", "tkp": "20"}
    rows = rank(
        [
            candidate(1, "70", categories=parts, finished_at=START + timedelta(minutes=55)),
            candidate(2, "70", categories=parts, finished_at=START + timedelta(minutes=40)),
        ],
        quota(2),
        CATEGORIES,
    )

    assert order(rows) == [2, 1]


def test_finish_time_is_compared_as_an_instant_whatever_the_time_zone():
    wib = timezone(timedelta(hours=7))
    earlier_in_wib = datetime(2026, 5, 10, 16, 40, tzinfo=wib)  # 09:40 UTC
    rows = rank(
        [
            candidate(1, "70", finished_at=datetime(2026, 5, 10, 9, 45, tzinfo=UTC)),
            candidate(2, "70", finished_at=earlier_in_wib),
        ],
        quota(2),
        CATEGORIES,
    )

    assert order(rows) == [2, 1]


def test_everything_equal_is_broken_by_the_lower_application_number():
    rows = rank([candidate(9, "70"), candidate(4, "70"), candidate(7, "70")], quota(3), CATEGORIES)

    assert outcome(rows) == [
        (4, 1, True, PASSED),
        (7, 2, True, PASSED),
        (9, 3, True, PASSED),
    ]


def test_category_scores_outrank_the_finish_time_and_the_application_number():
    rows = rank(
        [
            candidate(1, "70", categories={"tiu": "30"}, finished_at=START),
            candidate(2, "70", categories={"tiu": "31"}, finished_at=START + timedelta(hours=1)),
        ],
        quota(1),
        CATEGORIES,
    )

    assert outcome(rows) == [(2, 1, True, PASSED), (1, 2, False, OUTSIDE_QUOTA)]


def test_a_finish_time_outranks_the_application_number():
    rows = rank(
        [
            candidate(1, "70", finished_at=START + timedelta(minutes=59)),
            candidate(2, "70", finished_at=START + timedelta(minutes=58)),
        ],
        quota(2),
        CATEGORIES,
    )

    assert order(rows) == [2, 1]


# --- the quota --------------------------------------------------------------------------


def test_quota_passes_the_best_n_and_no_more():
    rows = rank(
        [candidate(1, "90"), candidate(2, "80"), candidate(3, "70"), candidate(4, "60")],
        quota(2),
        CATEGORIES,
    )

    assert outcome(rows) == [
        (1, 1, True, PASSED),
        (2, 2, True, PASSED),
        (3, 3, False, OUTSIDE_QUOTA),
        (4, 4, False, OUTSIDE_QUOTA),
    ]


def test_quota_cut_inside_a_tie_passes_exactly_n_by_the_tie_break():
    # Three equal totals compete for the last two places: the earlier finish wins,
    # then the lower application number; exactly the quota passes.
    rows = rank(
        [
            candidate(1, "90"),
            candidate(2, "75", finished_at=START + timedelta(minutes=45)),
            candidate(3, "75", finished_at=START + timedelta(minutes=30)),
            candidate(4, "75", finished_at=START + timedelta(minutes=45)),
        ],
        quota(3),
        CATEGORIES,
    )

    assert outcome(rows) == [
        (1, 1, True, PASSED),
        (3, 2, True, PASSED),
        (2, 3, True, PASSED),
        (4, 4, False, OUTSIDE_QUOTA),
    ]


def test_quota_larger_than_the_field_passes_everyone_with_a_result():
    rows = rank([candidate(1, "10"), candidate(2, "0"), candidate(3, None)], quota(5), CATEGORIES)

    assert outcome(rows) == [
        (1, 1, True, PASSED),
        (2, 2, True, PASSED),
        (3, None, False, NO_RESULT),
    ]


def test_candidates_below_a_category_minimum_do_not_use_up_the_quota():
    minimums = {"twk": "65"}
    rows = rank(
        [
            candidate(1, "95", categories={"twk": "60"}),
            candidate(2, "70", categories={"twk": "65"}),
            candidate(3, "60", categories={"twk": "70"}),
            candidate(4, "50", categories={"twk": "80"}),
        ],
        quota(2, minimums),
        CATEGORIES,
    )

    assert outcome(rows) == [
        (2, 1, True, PASSED),
        (3, 2, True, PASSED),
        (4, 3, False, OUTSIDE_QUOTA),
        (1, 4, False, BELOW_MINIMUM),
    ]


# --- the threshold ----------------------------------------------------------------------


def test_threshold_exactly_met_passes():
    rows = rank(
        [candidate(1, "65.001"), candidate(2, "65.000"), candidate(3, "64.999")],
        threshold("65"),
        CATEGORIES,
    )

    assert outcome(rows) == [
        (1, 1, True, PASSED),
        (2, 2, True, PASSED),
        (3, 3, False, BELOW_THRESHOLD),
    ]


def test_threshold_has_no_quota_everyone_above_it_passes():
    rows = rank([candidate(i, "80") for i in range(1, 8)], threshold("80"), CATEGORIES)

    assert [r.passed for r in rows] == [True] * 7
    assert [r.rank for r in rows] == list(range(1, 8))


def test_threshold_of_zero_passes_a_score_of_zero():
    rows = rank([candidate(1, "0")], threshold("0"), CATEGORIES)

    assert outcome(rows) == [(1, 1, True, PASSED)]


def test_threshold_does_not_pass_a_candidate_below_a_category_minimum():
    rows = rank(
        [
            candidate(1, "99", categories={"tiu": "10"}),
            candidate(2, "70", categories={"tiu": "20"}),
        ],
        threshold("60", {"tiu": "20"}),
        CATEGORIES,
    )

    assert outcome(rows) == [
        (2, 1, True, PASSED),
        (1, 2, False, BELOW_MINIMUM),
    ]


# --- category minimums --------------------------------------------------------------------


def test_category_minimum_exactly_met_qualifies():
    rows = rank(
        [
            candidate(1, "70", categories={"tiu": "30.000", "twk": "20"}),
            candidate(2, "90", categories={"tiu": "29.999", "twk": "60"}),
        ],
        quota(2, {"tiu": "30"}),
        CATEGORIES,
    )

    assert outcome(rows) == [
        (1, 1, True, PASSED),
        (2, 2, False, BELOW_MINIMUM),
    ]


def test_every_category_minimum_must_be_met():
    rows = rank(
        [
            candidate(1, "80", categories={"tiu": "40", "twk": "10"}),
            candidate(2, "60", categories={"tiu": "30", "twk": "30"}),
        ],
        quota(2, {"tiu": "30", "twk": "30"}),
        CATEGORIES,
    )

    assert outcome(rows) == [
        (2, 1, True, PASSED),
        (1, 2, False, BELOW_MINIMUM),
    ]


def test_a_category_without_a_score_does_not_meet_its_minimum():
    rows = rank([candidate(1, "90", categories={"tiu": "90"})], quota(1, {"twk": "1"}), CATEGORIES)

    assert outcome(rows) == [(1, 1, False, BELOW_MINIMUM)]


def test_a_minimum_of_zero_is_met_without_a_score():
    rows = rank([candidate(1, "90", categories={"tiu": "90"})], quota(1, {"twk": "0"}), CATEGORIES)

    assert outcome(rows) == [(1, 1, True, PASSED)]


def test_non_qualifying_candidates_are_ranked_among_themselves_by_the_same_order():
    rows = rank(
        [
            candidate(1, "50", categories={"tiu": "5"}),
            candidate(2, "90", categories={"tiu": "5"}),
            candidate(3, "10", categories={"tiu": "20"}),
        ],
        quota(5, {"tiu": "20"}),
        CATEGORIES,
    )

    assert outcome(rows) == [
        (3, 1, True, PASSED),
        (2, 2, False, BELOW_MINIMUM),
        (1, 3, False, BELOW_MINIMUM),
    ]


# --- candidates without a result ----------------------------------------------------------


def test_candidates_without_a_result_follow_unranked_by_application_number():
    rows = rank(
        [candidate(8, None), candidate(5, "40"), candidate(3, None), candidate(6, "30")],
        threshold("0"),
        CATEGORIES,
    )

    assert outcome(rows) == [
        (5, 1, True, PASSED),
        (6, 2, True, PASSED),
        (3, None, False, NO_RESULT),
        (8, None, False, NO_RESULT),
    ]


def test_a_score_of_zero_is_a_result_not_a_missing_one():
    rows = rank([candidate(1, "0"), candidate(2, None)], quota(1), CATEGORIES)

    assert outcome(rows) == [(1, 1, True, PASSED), (2, None, False, NO_RESULT)]


def test_no_candidates_no_rows():
    assert rank([], quota(3), CATEGORIES) == []


def test_a_graded_attempt_without_a_finish_time_comes_after_finished_ones():
    rows = rank(
        [candidate(1, "70", finished_at=None), candidate(2, "70", finished_at=START)],
        quota(1),
        CATEGORIES,
    )

    assert outcome(rows) == [(2, 1, True, PASSED), (1, 2, False, OUTSIDE_QUOTA)]


def test_rule_loaded_from_the_database_with_string_values_ranks_the_same():
    # As stored: method as its string value, minimums as decimal strings.
    stored = SelectionRule(method="quota", quota=1, threshold=None, category_minimums={"tiu": "20"})
    rows = rank(
        [
            candidate(1, "80", categories={"tiu": "19"}),
            candidate(2, "60", categories={"tiu": "20"}),
        ],
        stored,
        CATEGORIES,
    )

    assert outcome(rows) == [(2, 1, True, PASSED), (1, 2, False, BELOW_MINIMUM)]


# --- properties ---------------------------------------------------------------------------

# Few distinct values, so that ties on every key are common.
SCORES = st.one_of(st.none(), st.sampled_from(["0", "50", "50.5", "70", "100"]))
PART = st.sampled_from(["0", "10", "20", "20.5", "30"])
FINISHES = st.one_of(st.none(), st.sampled_from([START, FINISHED, START + timedelta(hours=1)]))
MINIMUMS = st.dictionaries(st.sampled_from(CATEGORIES), st.sampled_from(["0", "10", "20"]))


@st.composite
def fields(draw) -> list[Candidate]:
    ids = draw(st.lists(st.integers(1, 500), unique=True, max_size=12))
    return [
        candidate(
            i,
            draw(SCORES),
            categories=draw(st.dictionaries(st.sampled_from(CATEGORIES), PART)),
            finished_at=draw(FINISHES),
        )
        for i in ids
    ]


def rules() -> st.SearchStrategy[SelectionRule]:
    return st.one_of(
        st.builds(quota, st.integers(1, 15), MINIMUMS),
        st.builds(threshold, st.sampled_from(["0", "50", "50.5", "70", "101"]), MINIMUMS),
    )


def qualifies(c: Candidate, rule: SelectionRule) -> bool:
    return all(
        c.category_scores.get(slug, D(0)) >= D(m) for slug, m in rule.category_minimums.items()
    )


def ranks_before(a: Candidate, b: Candidate, rule: SelectionRule) -> bool:
    """The documented order, spelled out step by step: does `a` come strictly before `b`?"""
    if qualifies(a, rule) != qualifies(b, rule):
        return qualifies(a, rule)
    if a.score != b.score:
        return a.score > b.score
    for slug in CATEGORIES:
        sa, sb = a.category_scores.get(slug, D(0)), b.category_scores.get(slug, D(0))
        if sa != sb:
            return sa > sb
    if a.finished_at != b.finished_at:
        return b.finished_at is None or (
            a.finished_at is not None and a.finished_at < b.finished_at
        )
    return a.application_id < b.application_id


@settings(max_examples=200)
@given(field=fields(), rule=rules(), seed=st.randoms(use_true_random=False))
def test_ranking_does_not_depend_on_the_input_order(field, rule, seed):
    shuffled = list(field)
    seed.shuffle(shuffled)

    assert outcome(rank(shuffled, rule, CATEGORIES)) == outcome(rank(field, rule, CATEGORIES))


@settings(max_examples=200)
@given(field=fields(), rule=rules())
def test_ranked_candidates_follow_the_documented_order(field, rule):
    rows = rank(field, rule, CATEGORIES)
    ranked = [r for r in rows if r.rank is not None]

    assert sorted(order(rows)) == sorted(c.application_id for c in field)
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    for first, second in pairwise(ranked):
        assert ranks_before(first.candidate, second.candidate, rule)
    # Then those without a result, unranked, by application number.
    unranked = rows[len(ranked) :]
    assert all(r.candidate.score is None and r.reason is NO_RESULT for r in unranked)
    assert order(unranked) == sorted(order(unranked))
    assert all(r.candidate.score is not None for r in ranked)


@settings(max_examples=200)
@given(field=fields(), n=st.integers(1, 15), minimums=MINIMUMS)
def test_quota_passes_exactly_the_first_n_qualifying(field, n, minimums):
    rule = quota(n, minimums)
    rows = rank(field, rule, CATEGORIES)
    eligible = [r for r in rows if r.rank is not None and qualifies(r.candidate, rule)]

    passed = [r for r in rows if r.passed]
    assert len(passed) == min(n, len(eligible))
    assert passed == eligible[: len(passed)]
    for r in rows:
        assert r.passed is (r.reason is PASSED)
        if r.rank is not None and not qualifies(r.candidate, rule):
            assert r.reason is BELOW_MINIMUM
        elif r in eligible[len(passed) :]:
            assert r.reason is OUTSIDE_QUOTA


@settings(max_examples=200)
@given(field=fields(), limit=st.sampled_from(["0", "50", "50.5", "70", "101"]), minimums=MINIMUMS)
def test_threshold_passes_exactly_the_qualifying_at_or_above_it(field, limit, minimums):
    rule = threshold(limit, minimums)
    rows = rank(field, rule, CATEGORIES)

    for r in rows:
        c = r.candidate
        if c.score is None:
            expected = NO_RESULT
        elif not qualifies(c, rule):
            expected = BELOW_MINIMUM
        elif c.score >= D(limit):
            expected = PASSED
        else:
            expected = BELOW_THRESHOLD
        assert (r.reason, r.passed) == (expected, expected is PASSED)
