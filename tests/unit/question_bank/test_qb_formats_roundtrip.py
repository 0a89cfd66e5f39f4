"""Export then import gives the same questions, for everything each format carries."""

import csv
import io
import string
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from question_bank import (
    FORMATS,
    Difficulty,
    ExportError,
    Option,
    Question,
    QuestionError,
    UnknownFormat,
    export_questions,
    import_questions,
    make_question,
    plain_to_stem,
)

ROUND_TRIP = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)

# GIFT specials, CSV quoting, HTML, formula starts and Indonesian typography.
CHARS = (
    string.ascii_letters
    + string.digits
    + " ~=#{}:\\,;\"'.!?()[]/-+*@%&<>|$^_"
    + "éèñüöçÀ–—“”‘’…²½→€"
)
FORMULA_LIKE = [
    '=HYPERLINK("http://x.invalid","klik")',
    "=cmd|' /C calc'!A0",
    "+62 812 3456",
    "-5 derajat",
    "@SUM(A1:A9)",
    "'=1+1",
    "''-x",
]
INDONESIAN = [
    "Berapa persen penduduk usia kerja?",
    "Rp 1.500,– per kg",
    "Sensus Penduduk 2020 (SP2020): “daring”",
    "Rata-rata = Σx / n",
    "Jumlah rumah tangga ≥ 100",
]
# Texts that would be syntax if GIFT or Aiken did not escape or anchor them.
SYNTAX_LIKE = [
    "::judul::",
    "{=benar ~salah}",
    "// komentar",
    "$CATEGORY: lain",
    "%50%setengah",
    "#umpan balik",
    "[plain]teks",
    "ANSWER: A",
    "B) pilihan",
    "a\\nb",
]
WORDS = st.text(alphabet=CHARS, min_size=1, max_size=24) | st.sampled_from(
    FORMULA_LIKE + INDONESIAN + SYNTAX_LIKE
)
LINE = WORDS.map(lambda text: " ".join(text.split())).filter(bool)
NAME = LINE.map(lambda text: text[:64].strip()).filter(bool)
STEM_TEMPLATES = [
    "{}",
    "<b>{}</b>",
    "<p>{}</p><p>{}</p>",
    "{}<br>{}",
    "<u>{}</u> <i>{}</i>",
    "<ul><li>{}</li><li>{}</li></ul>",
    'x<sub>{}</sub> <table><tr><th rowspan="2">{}</th><td colspan="2">{}</td></tr></table>',
    "{}\n{}",
]


@st.composite
def markup_stems(draw):
    template = draw(st.sampled_from(STEM_TEMPLATES))
    return template.format(*(draw(WORDS) for _ in range(template.count("{}"))))


MARKUP_STEMS = markup_stems()
CATEGORY_NAMES = NAME | st.sampled_from(["konsep_statistik", "sikap_kerja"])
OPTIONAL_IDS = st.none() | NAME
OPTIONAL_IMAGES = st.none() | st.sampled_from(["grafik.png", "peta desa.jpg", "tabel-1.gif"])
BOOLEANS = st.booleans()


@st.composite
def questions(
    draw,
    *,
    stems=MARKUP_STEMS,
    categories=CATEGORY_NAMES,
    weighted=BOOLEANS,
    ids=OPTIONAL_IDS,
    images=OPTIONAL_IMAGES,
    keep_last=BOOLEANS,
):
    texts = draw(st.lists(LINE, min_size=2, max_size=6, unique=True))
    if draw(weighted):
        places = st.decimals(min_value=0, max_value=100, places=2)
        points = draw(st.lists(places, min_size=len(texts), max_size=len(texts)))
    else:
        key = draw(st.integers(0, len(texts) - 1))
        points = [Decimal(i == key) for i in range(len(texts))]
    kept = draw(keep_last)
    try:
        return make_question(
            category=draw(categories),
            difficulty=draw(st.sampled_from(Difficulty)),
            stem=draw(stems),
            options=[
                Option(text, p, keep_last=kept and i == len(texts) - 1)
                for i, (text, p) in enumerate(zip(texts, points, strict=True))
            ],
            image=draw(images),
            id=draw(ids),
        )
    except QuestionError:
        assume(False)
        raise


def _question_lists(strategy):
    def unique_ids(items):
        ids = [q.id for q in items if q.id is not None]
        return len(ids) == len(set(ids))

    return st.lists(strategy, max_size=4).filter(unique_ids)


def _round_trip(items: list[Question], fmt: str, **defaults) -> None:
    report = import_questions(export_questions(items, fmt), fmt, **defaults)
    assert report.refused == []
    assert report.imported == items


@ROUND_TRIP
@given(_question_lists(questions()))
def test_csv_round_trip(items):
    _round_trip(items, "csv")


@ROUND_TRIP
@given(_question_lists(questions()))
def test_xlsx_round_trip(items):
    _round_trip(items, "xlsx")


@ROUND_TRIP
@given(
    _question_lists(
        questions(images=st.none(), categories=NAME.filter(lambda name: "/" not in name))
    )
)
def test_gift_round_trip(items):
    _round_trip(items, "gift")


@ROUND_TRIP
@given(_question_lists(questions(images=st.none())))
def test_qti_round_trip(items):
    _round_trip(items, "qti")


@ROUND_TRIP
@given(
    st.sampled_from(Difficulty),
    _question_lists(
        questions(
            stems=LINE.map(plain_to_stem),
            categories=st.just("unused"),
            weighted=st.just(False),
            ids=st.none(),
            images=st.none(),
            keep_last=st.just(False),
        )
    ),
)
def test_aiken_round_trip(difficulty, items):
    # Aiken has no category or difficulty: the import's defaults fill them in.
    items = [
        Question("bahasa_indonesia", difficulty, q.stem, q.options, q.image, q.id) for q in items
    ]
    _round_trip(items, "aiken", category="bahasa_indonesia", difficulty=difficulty)


def _formula_question() -> Question:
    return make_question(
        category="=cat",
        difficulty=Difficulty.EASY,
        stem="@SUM(A1)",
        options=[Option("=1+1", 1), Option("-2"), Option("'+3")],
        id="+ID",
    )


def test_csv_cells_never_start_like_a_formula():
    data = export_questions([_formula_question()], "csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert {"'=1+1", "'-2", "''+3", "'@SUM(A1)", "'=cat", "'+ID"} <= set(cells)


def test_xlsx_cells_are_text_not_formulas():
    data = export_questions([_formula_question()], "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type in ("s", "n") for cell in cells)
    assert sheet["E2"].value == "'=1+1"
    assert sheet["K2"].value == 1  # points stay numbers


def test_aiken_refuses_to_export_weighted_questions():
    weighted = make_question(
        category="sikap_kerja",
        difficulty=Difficulty.EASY,
        stem="Sikap?",
        options=[Option("a", 1), Option("b", 2)],
        id="SK-9",
    )
    with pytest.raises(ExportError, match="weighted: SK-9") as refused:
        export_questions([weighted], "aiken")
    assert refused.value.problem.code == "aiken_weighted"
    assert dict(refused.value.problem.data) == {"questions": "SK-9", "count": 1}


def test_unknown_formats_are_refused_both_ways():
    with pytest.raises(UnknownFormat, match="use one of csv, xlsx, aiken, gift, qti"):
        import_questions(b"", "docx")
    with pytest.raises(UnknownFormat):
        export_questions([], "docx")
    assert import_questions(export_questions([], " CSV "), "Csv").ok


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_export_imports_as_nothing(fmt):
    report = import_questions(export_questions([], fmt), fmt)
    assert (report.imported, report.refused) == ([], [])
