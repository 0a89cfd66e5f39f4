"""The question bank's problems (`question_bank.Problem`) said in Indonesian.

The one place that turns a broken rule of a question or of an import file into
words for a person or an API client: the editor's preview, a refused save, the
import report and a refused export all call `problem_text`. It reads the
problem's `code` and `data` (an option's letter, a limit, a line); the
library's English `message` is for developers and is never shown. A code
without a text here gets a generic sentence (and a warning in the log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from flask_babel import gettext as _

from question_bank import Problem

from .formatting import number_text

log = logging.getLogger(__name__)

Data = Mapping[str, str | int]


def _number(data: Data, key: str) -> str:
    """A limit written the Indonesian way (20.000), by the one formatter for people."""
    return number_text(int(data[key]))


# fmt: off
_TEXTS: dict[str, Callable[[Data], str]] = {
    # --- a blueprint's rules (question_bank/blueprint.py) ---
    "unknown_keys": lambda d: _(
        "Kisi-kisi hanya boleh memuat kategori dan komposisi tingkat kesulitan."),
    "no_categories": lambda d: _("Kisi-kisi harus memuat minimal satu kategori."),
    "bad_category": lambda d: _("Kode kategori tidak valid: %(slug)s.", slug=d["category"]),
    "bad_count": lambda d: _(
        "Jumlah soal kategori %(slug)s harus minimal 1.", slug=d["category"]),
    "bad_mix": lambda d: _("Komposisi tingkat kesulitan hanya mengenal easy, medium dan hard."),
    "bad_share": lambda d: _("Komposisi tingkat kesulitan harus berupa angka."),
    "mix_sum": lambda d: _("Komposisi tingkat kesulitan harus berjumlah 100%."),
    # --- a question's rules (question_bank/model.py) ---
    "category_empty": lambda d: _("Kategori kosong."),
    "category_too_long": lambda d: _(
        "Kode kategori lebih dari %(max)s karakter.", max=_number(d, "max")),
    "category_control_chars": lambda d: _("Kode kategori berisi karakter kontrol."),
    "id_too_long": lambda d: _("Kode soal lebih dari %(max)s karakter.", max=_number(d, "max")),
    "id_control_chars": lambda d: _("Kode soal berisi karakter kontrol."),
    "image_too_long": lambda d: _(
        "Nama gambar lebih dari %(max)s karakter.", max=_number(d, "max")),
    "image_control_chars": lambda d: _("Nama gambar berisi karakter kontrol."),
    "image_not_plain_name": lambda d: _("Gambar harus berupa nama berkas saja, tanpa folder."),
    "difficulty_invalid": lambda d: _("Tingkat kesulitan harus mudah, sedang atau sulit."),
    "difficulty_unknown": lambda d: _(
        "Tingkat kesulitan %(value)s tidak dikenal (gunakan mudah, sedang atau sulit; "
        "atau easy, medium atau hard).", value=d["value"]),
    "stem_too_long": lambda d: _("Teks soal lebih dari %(max)s karakter.", max=_number(d, "max")),
    "stem_empty": lambda d: _("Teks soal kosong."),
    "stem_control_chars": lambda d: _("Teks soal berisi karakter kontrol."),
    "option_count": lambda d: _(
        "Soal harus memiliki %(min)d sampai %(max)d pilihan, bukan %(count)d.",
        min=d["min"], max=d["max"], count=d["count"]),
    "option_empty": lambda d: _("Pilihan %(letter)s kosong.", letter=d["letter"]),
    "option_repeated": lambda d: _(
        "Pilihan %(letter)s sama dengan pilihan sebelumnya.", letter=d["letter"]),
    "option_too_long": lambda d: _(
        "Pilihan %(letter)s lebih dari %(max)s karakter.",
        letter=d["letter"], max=_number(d, "max")),
    "option_control_chars": lambda d: _(
        "Pilihan %(letter)s berisi karakter kontrol.", letter=d["letter"]),
    "points_negative": lambda d: _("Poin pilihan %(letter)s negatif.", letter=d["letter"]),
    "points_too_high": lambda d: _(
        "Poin pilihan %(letter)s lebih dari %(max)s.", letter=d["letter"], max=_number(d, "max")),
    "points_too_precise": lambda d: _(
        "Poin pilihan %(letter)s lebih dari %(places)d angka di belakang koma.",
        letter=d["letter"], places=d["places"]),
    "no_points": lambda d: _("Belum ada pilihan yang bernilai poin."),
    "same_points": lambda d: _("Semua pilihan bernilai poin sama."),
    "keep_last_many": lambda d: _("Hanya satu pilihan yang boleh selalu terakhir."),
    "keep_last_not_last": lambda d: _("Pilihan yang selalu terakhir harus pilihan paling akhir."),
    # --- a file as a whole (question_bank/formats) ---
    "file_too_large": lambda d: _(
        "Berkas lebih besar dari %(megabytes)s MB.", megabytes=_number(d, "megabytes")),
    "too_many_items": lambda d: _("Berkas memuat lebih dari %(max)s butir.", max=_number(d, "max")),
    "file_unreadable": lambda d: _(
        "Berkas tidak dapat dibaca sebagai %(format)s.", format=str(d["format"]).upper()),
    "file_not_utf8": lambda d: _(
        "Berkas bukan teks UTF-8 (ada byte tidak sah di baris %(line)d); "
        "simpan ulang sebagai UTF-8.", line=d["line"]),
    "file_empty": lambda d: _("Berkas kosong."),
    "csv_unreadable": lambda d: _(
        "Berkas CSV tidak dapat dibaca (baris %(line)d).", line=d["line"]),
    "unknown_columns": lambda d: _("Kolom tidak dikenal: %(columns)s.", columns=d["columns"]),
    "repeated_columns": lambda d: _(
        "Kolom muncul lebih dari sekali: %(columns)s.", columns=d["columns"]),
    "missing_columns": lambda d: _("Kolom wajib tidak ada: %(columns)s.", columns=d["columns"]),
    "xlsx_no_sheet": lambda d: _("Buku kerja tidak memiliki lembar kerja."),
    "xlsx_sheet_empty": lambda d: _("Lembar kerja pertama kosong."),
    "not_zip": lambda d: _("Berkas bukan paket zip."),
    "zip_too_many_files": lambda d: _(
        "Paket berisi lebih dari %(max)s berkas.", max=_number(d, "max")),
    "zip_member_too_large": lambda d: _(
        "%(name)s terlalu besar setelah dibuka dari paket.", name=d["name"]),
    "zip_too_large": lambda d: _("Paket terlalu besar setelah dibuka."),
    "zip_member_damaged": lambda d: _(
        "%(name)s di dalam paket rusak atau terenkripsi.", name=d["name"]),
    # --- one item of a file ---
    "id_repeated": lambda d: _(
        "Kode soal %(id)s sudah dipakai butir %(item)d.", id=d["id"], item=d["item"]),
    "column_without_header": lambda d: _(
        "Kolom ke-%(position)d berisi data tetapi tidak punya judul kolom.",
        position=d["position"]),
    "option_gap": lambda d: _(
        "Kolom %(column)s (pilihan %(letter)s) kosong, padahal pilihan sesudahnya terisi.",
        column=d["column"], letter=d["letter"]),
    "keep_last_letter": lambda d: _("Kolom keep_last harus berisi huruf pilihan yang terisi."),
    "key_and_points": lambda d: _("Gunakan kolom key atau kolom points, jangan keduanya."),
    "key_letter": lambda d: _("Kolom key harus berisi huruf pilihan yang terisi."),
    "points_without_option": lambda d: _(
        "Kolom %(column)s terisi, padahal pilihannya kosong.", column=d["column"]),
    "points_not_number": lambda d: _("Kolom %(column)s bukan angka.", column=d["column"]),
    "aiken_option_order": lambda d: _(
        "Baris %(line)d: seharusnya pilihan %(letter)s.", line=d["line"], letter=d["letter"]),
    "aiken_unexpected_line": lambda d: _(
        "Baris %(line)d: seharusnya pilihan (A. ...) atau ANSWER: X "
        "(apakah baris ANSWER di atasnya terlewat?).", line=d["line"]),
    "aiken_answer_missing": lambda d: _("Baris ANSWER: X tidak ada."),
    "aiken_answer_unknown": lambda d: _(
        "ANSWER: %(letter)s tidak menunjuk pilihan mana pun.", letter=d["letter"]),
    "gift_no_answers": lambda d: _("Blok jawaban {...} tidak ditemukan."),
    "gift_text_after_answers": lambda d: _("Teks sesudah blok jawaban tidak didukung."),
    "gift_not_multiple_choice": lambda d: _(
        "Hanya soal pilihan ganda ({=benar ~salah}) yang didukung."),
    "gift_weight_range": lambda d: _("Bobot jawaban harus antara 0% dan 100%."),
    "gift_points_max": lambda d: _(
        "points-max harus berupa angka di atas 0 dan paling banyak %(max)s.",
        max=_number(d, "max")),
    "qti_manifest_missing": lambda d: _("%(name)s tidak ada di dalam paket.", name=d["name"]),
    "qti_unsafe_href": lambda d: _(
        "Alamat berkas butir tidak aman atau kosong: %(href)s.", href=d["href"] or "–"),
    "qti_file_repeated": lambda d: _(
        "%(name)s sudah dipakai butir %(item)d.", name=d["name"], item=d["item"]),
    "qti_file_missing": lambda d: _("%(name)s tidak ada di dalam paket.", name=d["name"]),
    "qti_xml_dtd": lambda d: _(
        "%(name)s: XML dengan DTD atau entitas tidak diterima.", name=d["name"]),
    "qti_xml_malformed": lambda d: _(
        "%(name)s: susunan XML-nya rusak.", name=d["name"]),
    "qti_not_one_choice_interaction": lambda d: _(
        "Hanya butir dengan tepat satu choiceInteraction yang didukung."),
    "qti_multiple_answers": lambda d: _("Hanya butir dengan satu jawaban yang didukung."),
    "qti_no_response_declaration": lambda d: _(
        "Tidak ada responseDeclaration untuk %(response)s.", response=d["response"]),
    "qti_points_not_number": lambda d: _(
        "Poin pilihan %(choice)s bukan angka.", choice=d["choice"]),
    # --- exporting ---
    "aiken_weighted": lambda d: _(
        "Aiken hanya memuat soal dengan satu kunci bernilai 1 poin; soal berbobot: "
        "%(questions)s.", questions=d["questions"]),
}
# fmt: on


def problem_text(problem: Problem) -> str:
    """One problem as an Indonesian sentence; a generic one for an unknown code."""
    text = _TEXTS.get(problem.code)
    if text is not None:
        try:
            return text(problem.data)
        except (KeyError, TypeError, ValueError):
            log.warning("problem %s lacks the data its text needs: %r", problem.code, problem)
    else:
        log.warning("no Indonesian text for problem code %s", problem.code)
    return _generic()


def problems_text(problems: Iterable[Problem]) -> str:
    """Several problems as one paragraph of sentences (never empty)."""
    return " ".join(problem_text(p) for p in problems) or _generic()


def known_codes() -> frozenset[str]:
    """Every code with an Indonesian text (tests check the library's codes against it)."""
    return frozenset(_TEXTS)


def _generic() -> str:
    return _("Ada aturan bank soal yang belum terpenuhi.")
