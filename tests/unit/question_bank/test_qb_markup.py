"""Stem sanitizing and reading stems as plain text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank import plain_to_stem, sanitize_stem, to_plain_text


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script>Berapa?", "Berapa?"),
        ('<img src="x" onerror="alert(1)">Berapa?', "Berapa?"),
        ('<b onclick="steal()">tebal</b>', "<b>tebal</b>"),
        ('<a href="javascript:alert(1)">klik</a>', "klik"),
        ("<style>p{}</style><p>teks</p>", "<p>teks</p>"),
        ("<!-- catatan --><i>miring</i>", "<i>miring</i>"),
        ('<span style="color:red" class="x">merah</span>', "<span>merah</span>"),
        ("<svg><script>alert(1)</script></svg>aman", "aman"),
        ("a < b & c", "a &lt; b &amp; c"),
    ],
)
def test_sanitizer_makes_hostile_markup_inert(dirty, clean):
    assert sanitize_stem(dirty) == clean


def test_sanitizer_keeps_the_allowed_tags():
    stem = (
        "<p><b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><span>sp</span>"
        "x<sub>2</sub>y<sup>3</sup><br>z</p><ul><li>satu</li></ul><ol><li>dua</li></ol>"
        '<table><thead><tr><th rowspan="2">H</th></tr></thead>'
        '<tbody><tr><td colspan="2">1</td></tr></tbody></table>'
    )
    assert sanitize_stem(stem) == stem


@pytest.mark.parametrize("value", ["0", "x", "1000", "2 onmouseover=alert(1)"])
def test_sanitizer_drops_odd_span_values(value):
    assert sanitize_stem(f'<table><tr><td colspan="{value}">1</td></tr></table>') == (
        "<table><tbody><tr><td>1</td></tr></tbody></table>"
    )


def test_plain_text_has_one_line_per_block_and_cells_joined():
    stem = (
        "<p>Perhatikan   tabel\nberikut.</p><table><tr><th>Dusun</th><th>Jumlah</th></tr>"
        "<tr><td>Melati</td><td>1&nbsp;234</td></tr></table>Berapa &lt;x&gt;?<br>Jawab"
    )
    assert to_plain_text(stem) == (
        "Perhatikan tabel berikut.\nDusun | Jumlah\nMelati | 1\u00a0234\nBerapa <x>?\nJawab"
    )


def test_plain_text_ignores_script_content():
    assert to_plain_text("<script>var x = 1;</script>soal") == "soal"


_HOSTILE_HTML = st.lists(
    st.sampled_from([*"<>/=\"' &;#abpiuslrtdhx\n\t", "<b>", "</p>", "<td>", "<br>"]),
    max_size=60,
).map("".join)
_LINE = st.text(
    alphabet=st.characters(
        categories=("L", "N", "P", "S"), exclude_characters="\u00a0", max_codepoint=0x2FFF
    )
    | st.just(" "),
    min_size=1,
    max_size=20,
).map(lambda s: " ".join(s.split()))


@settings(max_examples=100, deadline=None)
@given(_HOSTILE_HTML)
def test_sanitizing_is_idempotent(markup):
    once = sanitize_stem(markup)
    assert sanitize_stem(once) == once


@settings(max_examples=100, deadline=None)
@given(st.lists(_LINE.filter(bool), min_size=1, max_size=4))
def test_plain_text_round_trips_through_a_stem(lines):
    text = "\n".join(lines)
    assert to_plain_text(plain_to_stem(text)) == text
