"""Content checks for the demo question bank (question_bank/data/demo_bank.json).

Only the standard library and pytest are used; the JSON is located relative to this file.
"""

import json
import math
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

BANK_PATH = Path(__file__).resolve().parents[3] / "question_bank" / "data" / "demo_bank.json"

CATEGORIES = {
    "konsep_statistik": "Konsep dan Definisi Statistik Resmi",
    "aritmetika": "Aritmetika Dasar dan Persentase",
    "tabel_grafik": "Membaca Tabel dan Grafik",
    "penalaran_logis": "Penalaran Logis",
    "bahasa_indonesia": "Pemahaman Bahasa Indonesia",
    "sikap_kerja": "Sikap Kerja",
}
ID_PREFIX = {
    "konsep_statistik": "KS",
    "aritmetika": "AR",
    "tabel_grafik": "TG",
    "penalaran_logis": "PL",
    "bahasa_indonesia": "BI",
    "sikap_kerja": "SK",
}
MIN_QUESTIONS = {
    "konsep_statistik": 40,
    "aritmetika": 30,
    "tabel_grafik": 25,
    "penalaran_logis": 25,
    "bahasa_indonesia": 25,
    "sikap_kerja": 20,
}
BLUEPRINT_COUNTS = {
    "konsep_statistik": 8,
    "aritmetika": 5,
    "tabel_grafik": 5,
    "penalaran_logis": 4,
    "bahasa_indonesia": 4,
    "sikap_kerja": 4,
}
DIFFICULTY_MIX = {"easy": 0.3, "medium": 0.5, "hard": 0.2}
# Accepted share of each difficulty within a category ("roughly 30/50/20").
SHARE_BOUNDS = {"easy": (0.2, 0.4), "medium": (0.4, 0.6), "hard": (0.15, 0.3)}
ALLOWED_TAGS = {
    "b",
    "i",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "br",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "p",
}
TAG_RE = re.compile(r"<\s*/?\s*([A-Za-z][A-Za-z0-9]*)[^>]*>")
ID_RE = re.compile(r"^DEMO-(KS|AR|TG|PL|BI|SK)-\d{3}$")
WEIGHTED = "sikap_kerja"


@cache
def _raw() -> str:
    return BANK_PATH.read_text(encoding="utf-8")


@cache
def _bank() -> dict:
    return json.loads(_raw())


def _questions(category=None):
    qs = _bank()["questions"]
    return [q for q in qs if category is None or q["category"] == category]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------- file and schema


def test_file_is_utf8_json_without_ascii_escapes():
    raw = _raw()
    assert "\\u00" not in raw, "write the JSON with ensure_ascii=False"
    assert isinstance(_bank(), dict)


def test_top_level_shape():
    assert set(_bank()) == {"categories", "blueprint", "questions"}


def test_categories_exact():
    cats = _bank()["categories"]
    assert [set(c) for c in cats] == [{"slug", "name"}] * len(cats)
    assert {c["slug"]: c["name"] for c in cats} == CATEGORIES
    assert len(cats) == len(CATEGORIES)


def test_blueprint_shape_and_totals():
    bp = _bank()["blueprint"]
    assert set(bp) == {"categories", "difficulty_mix"}
    assert bp["categories"] == BLUEPRINT_COUNTS
    assert sum(bp["categories"].values()) == 30
    assert bp["difficulty_mix"] == DIFFICULTY_MIX
    assert math.isclose(sum(bp["difficulty_mix"].values()), 1.0)


def test_question_and_option_keys():
    for q in _questions():
        assert set(q) == {"id", "category", "difficulty", "stem", "options"}, q.get("id")
        assert q["category"] in CATEGORIES, q["id"]
        assert q["difficulty"] in DIFFICULTY_MIX, q["id"]
        assert isinstance(q["options"], list), q["id"]
        for opt in q["options"]:
            assert set(opt) in ({"text", "points"}, {"text", "points", "keep_last"}), q["id"]
            assert isinstance(opt["text"], str), q["id"]
            assert opt["text"].strip(), q["id"]
            assert _is_int(opt["points"]), q["id"]


# ---------------------------------------------------------------- counts


def test_total_question_count():
    assert len(_questions()) >= 165


def test_ids_unique_and_well_formed():
    ids = [q["id"] for q in _questions()]
    assert len(ids) == len(set(ids))
    for q in _questions():
        m = ID_RE.match(q["id"])
        assert m, q["id"]
        assert m.group(1) == ID_PREFIX[q["category"]], q["id"]


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_category_minimum_count(category):
    assert len(_questions(category)) >= MIN_QUESTIONS[category]


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_category_difficulty_supply(category):
    """Each difficulty has at least a full form's worth of the category's blueprint count."""
    need = BLUEPRINT_COUNTS[category]
    counts = Counter(q["difficulty"] for q in _questions(category))
    for difficulty, share in DIFFICULTY_MIX.items():
        assert counts[difficulty] >= need, (category, difficulty, counts)
        assert counts[difficulty] >= math.ceil(share * need), (category, difficulty, counts)


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_category_difficulty_mix_is_roughly_30_50_20(category):
    qs = _questions(category)
    counts = Counter(q["difficulty"] for q in qs)
    for difficulty, (low, high) in SHARE_BOUNDS.items():
        share = counts[difficulty] / len(qs)
        assert low <= share <= high, (category, difficulty, round(share, 3))


# ---------------------------------------------------------------- options and points


def test_single_key_questions():
    for q in _questions():
        if q["category"] == WEIGHTED:
            continue
        points = [o["points"] for o in q["options"]]
        assert len(points) in (4, 5), q["id"]
        assert sorted(points) == [0] * (len(points) - 1) + [1], q["id"]


def test_most_single_key_questions_have_four_options():
    qs = [q for q in _questions() if q["category"] != WEIGHTED]
    four = sum(len(q["options"]) == 4 for q in qs)
    assert four >= 0.8 * len(qs)


def test_weighted_questions():
    for q in _questions(WEIGHTED):
        points = sorted(o["points"] for o in q["options"])
        assert points == [1, 2, 3, 4, 5], q["id"]
        assert not any("keep_last" in o for o in q["options"]), q["id"]


def test_weighted_best_option_position_varies():
    positions = Counter([o["points"] for o in q["options"]].index(5) for q in _questions(WEIGHTED))
    assert len(positions) == 5


@pytest.mark.parametrize("category", sorted(set(CATEGORIES) - {WEIGHTED}))
def test_key_position_is_balanced(category):
    qs = _questions(category)
    positions = Counter([o["points"] for o in q["options"]].index(1) for q in qs)
    for pos in range(4):
        assert positions[pos] >= 0.15 * len(qs), (category, dict(positions))


def test_option_texts_distinct_within_question():
    # Case is significant: spelling questions contrast "Kabupaten" with "kabupaten".
    for q in _questions():
        texts = [" ".join(o["text"].split()) for o in q["options"]]
        assert len(texts) == len(set(texts)), q["id"]


def test_keep_last_usage():
    flagged = []
    for q in _questions():
        for idx, opt in enumerate(q["options"]):
            if "keep_last" in opt:
                assert opt["keep_last"] is True, q["id"]
                assert idx == len(q["options"]) - 1, q["id"]
                assert q["category"] != WEIGHTED, q["id"]
                flagged.append(q["id"])
    # "a handful": present, but only on a small minority of questions
    assert 1 <= len(flagged) <= 0.1 * len(_questions())


# ---------------------------------------------------------------- stems


def test_stems_not_empty():
    for q in _questions():
        assert isinstance(q["stem"], str), q["id"]
        assert re.sub(r"<[^>]*>", "", q["stem"]).strip(), q["id"]


def test_stems_use_only_allowed_tags():
    for q in _questions():
        tags = {t.lower() for t in TAG_RE.findall(q["stem"])}
        assert tags <= ALLOWED_TAGS, (q["id"], tags - ALLOWED_TAGS)
        # no attributes (style, onclick, ...) on any tag
        assert not re.search(r"<\s*[A-Za-z][A-Za-z0-9]*\s+[^>]*>", q["stem"]), q["id"]


def test_stem_tables_are_balanced_and_narrow():
    for q in _questions():
        stem = q["stem"]
        for tag in ("table", "thead", "tbody", "tr", "th", "td", "p"):
            assert stem.count(f"<{tag}>") == stem.count(f"</{tag}>"), (q["id"], tag)
        for row in re.findall(r"<tr>(.*?)</tr>", stem, flags=re.S):
            cells = len(re.findall(r"<t[hd]>", row))
            assert 1 <= cells <= 5, (q["id"], cells)


def test_table_category_questions_contain_a_table():
    for q in _questions("tabel_grafik"):
        assert "<table>" in q["stem"], q["id"]


def test_option_texts_are_plain():
    for q in _questions():
        for opt in q["options"]:
            assert "<" not in opt["text"], q["id"]
            assert ">" not in opt["text"], q["id"]
