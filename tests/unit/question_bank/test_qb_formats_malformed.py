"""Bad and hostile files: per-item reports, nothing imported by default, never a crash."""

import io
import zipfile
from decimal import Decimal
from functools import cache

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import question_bank.formats as formats
from question_bank import (
    FORMATS,
    Difficulty,
    ImportIssue,
    Option,
    export_questions,
    import_questions,
    make_question,
)

SAMPLE = make_question(
    category="aritmetika",
    difficulty=Difficulty.EASY,
    stem="Berapa 2 + 2?",
    options=[Option("3"), Option("4", 1), Option("Semua salah", keep_last=True)],
    id="AR-1",
)


def _issues(report) -> list[tuple[int, int | None]]:
    return [(issue.item, issue.line) for issue in report.refused]


def _codes(report) -> list[list[str]]:
    """The codes of each refused item's problems, which a service translates."""
    return _codes_of(report.refused)


def _codes_of(issues) -> list[list[str]]:
    return [[problem.code for problem in issue.problems] for issue in issues]


# ---------------------------------------------------------------- CSV

BAD_CSV = (
    "id,category,difficulty,stem,option_a,option_b,option_c,points_a,points_b,points_c\n"
    "Q1,aritmetika,easy,Berapa?,1,2,,1,0,\n"
    'Q2,aritmetika,hard,"Dua\nbaris",a,a,,1,0,\n'
    "Q3,aritmetika,sangat,Soal?,x,,z,one,0,1\n"
    ",,,,,,,,,\n"
    "Q1,aritmetika,easy,Lagi?,1,2,,1,0,\n"
)


def test_csv_report_lists_every_refused_item_with_its_line():
    report = import_questions(BAD_CSV.encode(), "csv")
    assert not report.ok
    assert report.imported == []
    assert _issues(report) == [(2, 3), (3, 5), (4, 7)]
    assert report.refused[0].message == "option B repeats an earlier option"
    assert report.refused[1].message == (
        "option_b is empty but a later option is filled; points_a is not a number; "
        "unknown difficulty 'sangat' (use easy, medium or hard)"
    )
    assert report.refused[2].message == "id 'Q1' is already used by item 1"
    assert _codes(report) == [
        ["option_repeated"],
        ["option_gap", "points_not_number", "difficulty_unknown"],
        ["id_repeated"],
    ]
    gap, points, difficulty = report.refused[1].problems
    assert dict(gap.data) == {"column": "option_b", "letter": "B"}
    assert dict(points.data) == {"column": "points_a"}
    assert dict(difficulty.data) == {"value": "sangat"}
    assert dict(report.refused[2].problems[0].data) == {"id": "Q1", "item": 1}
    for issue in report.refused:
        assert issue.message == "; ".join(p.message for p in issue.problems)


def test_partial_import_keeps_the_valid_items():
    report = import_questions(BAD_CSV.encode(), "csv", partial=True)
    assert [q.id for q in report.imported] == ["Q1"]
    assert len(report.refused) == 3


def test_csv_key_column_and_defaults():
    data = "Stem;Option_A;Option_B;Option_C;Key\nIbu kota?;Bandung;Jakarta;Medan;b\n"
    report = import_questions(data.encode(), "csv", category="umum", difficulty=Difficulty.HARD)
    assert report.ok
    (question,) = report.imported
    assert (question.category, question.difficulty) == ("umum", Difficulty.HARD)
    assert [o.points for o in question.options] == [0, 1, 0]


@pytest.mark.parametrize(
    ("row", "message", "code"),
    [
        (
            "S?,a,b,B,1,",
            "use either the key column or the points columns, not both",
            "key_and_points",
        ),
        ("S?,a,b,C,,", "key must be the letter of a filled option", "key_letter"),
        ("S?,a,b,,1,,0", "points_c has no option", "points_without_option"),
        ("S?,a,b,,1,,,x", "column 8 has no header", "column_without_header"),
    ],
)
def test_csv_row_problems(row, message, code):
    data = f"stem,option_a,option_b,key,points_a,points_b,points_c\n{row}\n"
    report = import_questions(data.encode(), "csv")
    assert report.refused == [ImportIssue(1, 2, message)]
    assert _codes(report) == [[code]]


@pytest.mark.parametrize(
    ("data", "issue"),
    [
        (b"", ImportIssue(0, None, "the file is empty")),
        (b"stem,option_a\n", ImportIssue(0, 1, "missing columns: option_b")),
        (b"stem,option_a,option_b,optoin_c\n", ImportIssue(0, 1, "unknown columns: optoin_c")),
        (b"stem,option_a,option_b,stem\n", ImportIssue(0, 1, "repeated columns: stem")),
        (
            b"stem,option_a,option_b\nBerapa\xa0persen?,a,b\n",
            ImportIssue(
                0, 2, "the file is not UTF-8 text (invalid byte on line 2); save it as UTF-8"
            ),
        ),
        (b'stem,option_a,option_b\n"' + b"x" * 200_000 + b'",b,c\n', None),
    ],
)
def test_unreadable_csv_files_give_one_issue(data, issue):
    report = import_questions(data, "csv")
    assert report.imported == []
    assert len(report.refused) == 1
    assert report.refused[0].item == 0
    assert len(report.refused[0].problems) == 1
    if issue is not None:
        assert report.refused[0] == issue


@pytest.mark.parametrize(
    ("data", "code", "problem_data"),
    [
        (b"", "file_empty", {}),
        (b"stem,option_a\n", "missing_columns", {"columns": "option_b"}),
        (b"stem,x,y\n", "unknown_columns", {"columns": "x, y"}),
        (b"stem,option_a,option_b,stem\n", "repeated_columns", {"columns": "stem"}),
        (b"stem,option_a,option_b\n\xff,a,b\n", "file_not_utf8", {"line": 2}),
    ],
)
def test_file_problems_carry_a_code_and_their_subject(data, code, problem_data):
    (issue,) = import_questions(data, "csv").refused
    (problem,) = issue.problems
    assert (problem.code, dict(problem.data)) == (code, problem_data)
    assert problem.message == issue.message


def test_size_limit(monkeypatch):
    monkeypatch.setattr(formats, "MAX_IMPORT_BYTES", 1024 * 1024)
    report = import_questions(b"x" * (1024 * 1024 + 1), "csv")
    assert report.refused == [ImportIssue(0, None, "the file is larger than 1 MB")]
    assert report.refused[0].problems[0].code == "file_too_large"
    assert dict(report.refused[0].problems[0].data) == {"megabytes": 1}


def test_item_limit(monkeypatch):
    monkeypatch.setattr(formats, "MAX_ITEMS", 2)
    data = export_questions([SAMPLE] * 3, "aiken")
    refused = import_questions(data, "aiken", category="c").refused
    assert refused == [ImportIssue(0, None, "the file has more than 2 items")]
    assert _codes_of(refused) == [["too_many_items"]]


# ---------------------------------------------------------------- XLSX


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_report_uses_row_numbers_and_reads_numbers():
    data = _xlsx(
        [
            ["id", "stem", "option_a", "option_b", "points_a", "points_b", "difficulty"],
            [101, "Soal?", "a", "b", 0.5, 1, "sulit"],
            [],
            [102, "Soal?", "a", "b", -1, 1, "easy"],
        ]
    )
    report = import_questions(data, "xlsx", category="c", partial=True)
    assert _issues(report) == [(2, 4)]
    assert report.refused[0].message == "option A has negative points"
    assert _codes(report) == [["points_negative"]]
    (question,) = report.imported
    assert question.id == "101"
    assert question.difficulty is Difficulty.HARD
    assert [o.points for o in question.options] == [Decimal("0.5"), 1]


@pytest.mark.parametrize("fmt", ["xlsx", "qti"])
def test_zip_formats_refuse_what_is_not_a_zip(fmt):
    report = import_questions(b"stem,option_a\n", fmt)
    assert report.refused == [ImportIssue(0, None, "the file is not a zip package")]
    assert _codes(report) == [["not_zip"]]


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["xlsx", "qti"])
def test_zip_bombs_are_refused(fmt):
    # 8 MB of zeros compresses about a thousandfold.
    bomb = _zip({"imsmanifest.xml": b"<a/>", "xl/worksheets/sheet1.xml": bytes(8 * 1024 * 1024)})
    assert len(bomb) < 100_000
    report = import_questions(bomb, fmt)
    assert report.refused == [
        ImportIssue(0, None, "xl/worksheets/sheet1.xml: too large once unpacked")
    ]
    assert _codes(report) == [["zip_member_too_large"]]


def test_a_zip_that_is_no_workbook_is_reported():
    report = import_questions(_zip({"readme.txt": b"hi"}), "xlsx")
    assert report.refused == [ImportIssue(0, None, "the file could not be read as xlsx")]
    assert _codes(report) == [["file_unreadable"]]


# ---------------------------------------------------------------- Aiken

BAD_AIKEN = """\
Soal satu?
A. a
B. b
ANSWER: B

Soal dua?
A. a
C. c
ANSWER: A

Soal tiga?
A. x
B) y
ANSWER: D

Soal empat?
A. p
B. q

Soal lima?
A. r
B. s
ANSWER: A
"""


def test_aiken_report():
    report = import_questions(BAD_AIKEN.encode(), "aiken", category="c")
    assert report.imported == []
    assert report.refused == [
        ImportIssue(2, 6, "line 8: expected option B"),
        ImportIssue(3, 11, "ANSWER: D names no option"),
        ImportIssue(
            4,
            16,
            "line 20: expected an option (A. ...) or ANSWER: X (is an ANSWER line missing above?)",
        ),
    ]
    assert _codes(report) == [
        ["aiken_option_order"],
        ["aiken_answer_unknown"],
        ["aiken_unexpected_line"],
    ]
    assert [dict(issue.problems[0].data) for issue in report.refused] == [
        {"line": 8, "letter": "B"},
        {"letter": "D"},
        {"line": 20},
    ]
    partial = import_questions(BAD_AIKEN.encode(), "aiken", category="c", partial=True)
    assert [q.stem for q in partial.imported] == ["Soal satu?"]


def test_aiken_multiline_stem_and_missing_answer_at_the_end():
    data = "Perhatikan data.\nBerapa rata-ratanya?\nA) 1\nB) 2\nanswer: b\n\nSoal?\nA. x\n"
    report = import_questions(data.encode(), "aiken", category="c", partial=True)
    assert report.imported[0].stem == "Perhatikan data.<br>Berapa rata-ratanya?"
    assert report.imported[0].key_index == 1
    assert report.refused == [ImportIssue(2, 7, "the ANSWER: X line is missing")]
    assert _codes(report) == [["aiken_answer_missing"]]


def test_a_huge_aiken_item_is_reported_quickly():
    data = "Soal?\n" + "baris\n" * 200_000
    report = import_questions(data.encode(), "aiken", category="c")
    assert report.refused == [ImportIssue(1, 1, "the ANSWER: X line is missing")]


def test_aiken_without_a_category_default_is_refused():
    report = import_questions(b"Soal?\nA. a\nB. b\nANSWER: A\n", "aiken")
    assert report.refused == [ImportIssue(1, 1, "category is empty")]


# ---------------------------------------------------------------- GIFT

MOODLE_GIFT = """\
// Written by Moodle
$CATEGORY: $course$/top/Statistik Dasar

::Q1::Ibu kota Indonesia adalah\\: {
=Jakarta#Benar!
~Bandung#Salah
~Surabaya
####Umpan balik umum
}

::TF::Bumi itu bulat {T}

::SA::Singkatan BPS? {=Badan Pusat Statistik =BPS}

::W::[plain]Sensus penduduk & <pertanian> dilakukan setiap {
~%50%5 tahun
=10 tahun
~%-50%2 tahun
}

// difficulty: extreme
::D::Soal {=a ~b}

::M::Pasangkan {=a -> 1 =b -> 2}

Tanpa jawaban

::X::Teks {=a ~b} lanjutan
"""


def test_gift_report_and_moodle_conventions():
    report = import_questions(MOODLE_GIFT.encode(), "gift", partial=True)
    (question,) = report.imported
    assert question.id == "Q1"
    assert question.category == "Statistik Dasar"
    assert question.stem == "Ibu kota Indonesia adalah:"
    assert [(o.text, o.points) for o in question.options] == [
        ("Jakarta", 1),
        ("Bandung", 0),
        ("Surabaya", 0),
    ]
    mc_only = "only multiple-choice questions ({=right ~wrong}) are supported"
    assert report.refused == [
        ImportIssue(2, 11, mc_only),
        ImportIssue(3, 13, mc_only),
        ImportIssue(4, 15, "answer weights must be between 0% and 100%"),
        ImportIssue(5, 22, "unknown difficulty 'extreme' (use easy, medium or hard)"),
        ImportIssue(6, 24, mc_only),
        ImportIssue(7, 26, "no answer block {...} found"),
        ImportIssue(8, 28, "text after the answer block is not supported"),
    ]
    assert _codes(report) == [
        ["gift_not_multiple_choice"],
        ["gift_not_multiple_choice"],
        ["gift_weight_range"],
        ["difficulty_unknown"],
        ["gift_not_multiple_choice"],
        ["gift_no_answers"],
        ["gift_text_after_answers"],
    ]
    assert import_questions(MOODLE_GIFT.encode(), "gift").imported == []


def test_gift_plain_stems_and_weights():
    data = "::W::[plain]Sensus & <tani> {\n~%50%5 tahun\n=10 tahun\n~%0%2 tahun\n}\n"
    (question,) = import_questions(data.encode(), "gift", category="c").imported
    assert question.stem == "Sensus &amp; &lt;tani&gt;"
    assert [o.points for o in question.options] == [Decimal("0.5"), 1, 0]


# ---------------------------------------------------------------- QTI

MANIFEST = """<?xml version="1.0"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>{}</resources></manifest>"""
ITEM_RESOURCE = '<resource identifier="r{0}" type="imsqti_item_xmlv2p1" href="{1}"/>'
FOREIGN_ITEM = """<?xml version="1.0"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p2" identifier="x" title="t">
  <responseDeclaration identifier="R" cardinality="single" baseType="identifier">
    <correctResponse><value>B</value></correctResponse>
  </responseDeclaration>
  <itemBody>
    <p>Perhatikan <img src="x.png"/> gambar.</p>
    <choiceInteraction responseIdentifier="R" maxChoices="1">
      <prompt>Mana yang <span class="underline">benar</span>?</prompt>
      <simpleChoice identifier="A">Satu</simpleChoice>
      <simpleChoice identifier="B">Dua</simpleChoice>
      <simpleChoice identifier="C" fixed="true">Semua</simpleChoice>
    </choiceInteraction>
  </itemBody>
</assessmentItem>"""
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<assessmentItem>&lol2;</assessmentItem>"""
TWO_INTERACTIONS = FOREIGN_ITEM.replace("</itemBody>", "<choiceInteraction/></itemBody>")


def _package(items: dict[str, bytes], hrefs: list[str]) -> bytes:
    resources = "".join(ITEM_RESOURCE.format(i, href) for i, href in enumerate(hrefs))
    return _zip({"imsmanifest.xml": MANIFEST.format(resources).encode(), **items})


def test_qti_items_are_checked_one_by_one():
    data = _package(
        {
            "items/good.xml": FOREIGN_ITEM.encode(),
            "items/lol.xml": BILLION_LAUGHS.encode(),
            "items/two.xml": TWO_INTERACTIONS.encode(),
            "items/broken.xml": b"<assessmentItem>\n<itemBody>",
        },
        [
            "items/good.xml",
            "../../etc/passwd",
            "/etc/passwd",
            "http://evil.invalid/x.xml",
            "items/lol.xml",
            "items/two.xml",
            "items/missing.xml",
            "items/broken.xml",
            "items/./good.xml",
        ],
    )
    report = import_questions(data, "qti", category="c", partial=True)
    (question,) = report.imported
    # The image is stripped; the file's indentation stays as (harmless) HTML whitespace.
    assert " ".join(question.stem.split()) == "<p>Perhatikan gambar.</p> Mana yang <u>benar</u>?"
    assert [(o.text, o.points, o.keep_last) for o in question.options] == [
        ("Satu", 0, False),
        ("Dua", 1, False),
        ("Semua", 0, True),
    ]
    messages = [(issue.item, issue.line, issue.message.split(" (")[0]) for issue in report.refused]
    assert messages == [
        (2, None, "unsafe or missing href '../../etc/passwd'"),
        (3, None, "unsafe or missing href '/etc/passwd'"),
        (4, None, "unsafe or missing href 'http://evil.invalid/x.xml'"),
        (5, None, "items/lol.xml: XML with a DTD or entities is not accepted"),
        (6, None, "only items with one choiceInteraction are supported"),
        (7, None, "items/missing.xml is not in the package"),
        (8, 2, "items/broken.xml: not well-formed XML"),
        (9, None, "items/good.xml is already item 1"),
    ]
    assert _codes(report) == [
        ["qti_unsafe_href"],
        ["qti_unsafe_href"],
        ["qti_unsafe_href"],
        ["qti_xml_dtd"],
        ["qti_not_one_choice_interaction"],
        ["qti_file_missing"],
        ["qti_xml_malformed"],
        ["qti_file_repeated"],
    ]
    assert dict(report.refused[6].problems[0].data) == {"name": "items/broken.xml", "line": 2}
    assert dict(report.refused[7].problems[0].data) == {"name": "items/good.xml", "item": 1}
    assert import_questions(data, "qti", category="c").imported == []


@pytest.mark.parametrize(
    ("members", "issue"),
    [
        ({"items/a.xml": b"<a/>"}, ImportIssue(0, None, "imsmanifest.xml is missing")),
        (
            {"imsmanifest.xml": BILLION_LAUGHS.encode()},
            ImportIssue(0, None, "imsmanifest.xml: XML with a DTD or entities is not accepted"),
        ),
    ],
)
def test_qti_package_problems(members, issue):
    refused = import_questions(_zip(members), "qti").refused
    assert refused == [issue]
    (problem,) = refused[0].problems
    assert problem.code in ("qti_manifest_missing", "qti_xml_dtd")
    assert problem.data["name"] == "imsmanifest.xml"


def test_qti_weights_come_from_the_mapping():
    data = export_questions(
        [
            make_question(
                category="sikap_kerja",
                difficulty=Difficulty.HARD,
                stem="<u>Sikap</u>",
                options=[Option("a", 5), Option("b", "2.5"), Option("c", 1)],
                id="SK-1",
            )
        ],
        "qti",
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        item = archive.read("items/item-1.xml").decode()
        manifest = archive.read("imsmanifest.xml").decode()
    assert '<mapEntry mapKey="B" mappedValue="2.5" />' in item
    assert '<span class="underline">Sikap</span>' in item
    assert "<value>difficult</value>" in manifest
    assert "<entry>SK-1</entry>" in manifest


# ---------------------------------------------------------------- fuzzing


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(FORMATS), st.binary(max_size=300))
def test_random_bytes_never_crash_an_import(fmt, data):
    report = import_questions(data, fmt, category="c")
    if report.refused:
        assert report.imported == []
    assert all(issue.item >= 0 for issue in report.refused)


@cache
def _export_of(fmt: str) -> bytes:
    """One export per format: XLSX and QTI embed the time, so a fresh export on each
    example could change length between hypothesis' runs of the same example."""
    return export_questions([SAMPLE, SAMPLE], fmt)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(FORMATS), st.data())
def test_damaged_exports_never_crash_an_import(fmt, data):
    exported = bytearray(_export_of(fmt))
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, len(exported) - 1))
        exported[position] = data.draw(st.integers(0, 255))
    report = import_questions(bytes(exported), fmt, category="c")
    if report.refused:
        assert report.imported == []
