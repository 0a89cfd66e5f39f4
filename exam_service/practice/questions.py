"""A few invented practice questions for the demo (and a fresh bank): `ensure_practice_questions`.

They go into the demo bank's categories (created when missing), active and marked
as practice, each with an explanation. External ids `LATIHAN-...` make the call
idempotent: questions already in the bank are left as they are.
"""

from __future__ import annotations

from decimal import Decimal

from question_bank import Difficulty, Option, make_question

from ..authoring.models import Question, QuestionStatus
from ..authoring.service import add_question, ensure_categories
from ..core.extensions import db

CATEGORY_NAMES = {
    "konsep_statistik": "Konsep dan Definisi Statistik Resmi",
    "aritmetika": "Aritmetika Dasar dan Persentase",
    "tabel_grafik": "Membaca Tabel dan Grafik",
    "penalaran_logis": "Penalaran Logis",
}

# (external id, category, difficulty, stem, [(option, points)], explanation)
PRACTICE_QUESTIONS: list[tuple[str, str, str, str, list[tuple[str, int]], str]] = [
    (
        "LATIHAN-001",
        "aritmetika",
        "easy",
        "Seorang mitra mencacah 12 rumah tangga per hari. Berapa rumah tangga yang "
        "dicacah dalam 5 hari kerja?",
        [("60", 1), ("50", 0), ("17", 0), ("72", 0)],
        "12 rumah tangga x 5 hari = 60 rumah tangga.",
    ),
    (
        "LATIHAN-002",
        "aritmetika",
        "medium",
        "Dari 40 rumah tangga sampel, 10 belum dapat ditemui. Berapa persen rumah tangga "
        "yang sudah dicacah?",
        [("75%", 1), ("25%", 0), ("30%", 0), ("80%", 0)],
        "Yang sudah dicacah 40 - 10 = 30 rumah tangga; 30 / 40 = 0,75 = 75%.",
    ),
    (
        "LATIHAN-003",
        "konsep_statistik",
        "easy",
        "Rumah tangga biasa adalah ...",
        [
            ("Sekelompok orang yang tinggal di satu bangunan dan makan dari satu dapur", 1),
            ("Semua orang yang tinggal di satu desa", 0),
            ("Sekelompok orang yang mempunyai hubungan darah saja", 0),
            ("Orang yang tinggal di asrama atau lembaga pemasyarakatan", 0),
        ],
        "Dalam sensus dan survei BPS, rumah tangga biasa adalah seseorang atau sekelompok "
        "orang yang mendiami sebagian atau seluruh bangunan fisik dan biasanya makan dari "
        "satu dapur.",
    ),
    (
        "LATIHAN-004",
        "konsep_statistik",
        "medium",
        "Responden menolak menjawab pertanyaan tentang pendapatan. Apa yang sebaiknya "
        "dilakukan petugas?",
        [
            ("Menjelaskan kerahasiaan data dengan sopan, lalu mencoba kembali", 1),
            ("Mengisi sendiri dengan perkiraan petugas", 0),
            ("Meninggalkan kuesioner dan tidak kembali", 0),
            ("Memaksa responden sampai mau menjawab", 0),
        ],
        "Data responden dijamin kerahasiaannya oleh undang-undang. Petugas menjelaskan hal "
        "itu dengan sopan dan tidak pernah mengisi jawaban sendiri.",
    ),
    (
        "LATIHAN-005",
        "tabel_grafik",
        "easy",
        "Tabel jumlah penduduk: Desa A 1.200 jiwa, Desa B 950 jiwa, Desa C 1.450 jiwa. "
        "Desa mana yang penduduknya paling sedikit?",
        [("Desa B", 1), ("Desa A", 0), ("Desa C", 0), ("Semuanya sama", 0)],
        "950 lebih kecil daripada 1.200 dan 1.450, jadi Desa B paling sedikit.",
    ),
    (
        "LATIHAN-006",
        "tabel_grafik",
        "medium",
        "Produksi padi naik dari 200 ton menjadi 250 ton. Berapa persen kenaikannya?",
        [("25%", 1), ("20%", 0), ("50%", 0), ("125%", 0)],
        "Kenaikan 250 - 200 = 50 ton; 50 / 200 = 0,25 = 25%.",
    ),
    (
        "LATIHAN-007",
        "penalaran_logis",
        "easy",
        "Semua petugas membawa tanda pengenal. Budi adalah petugas. Maka ...",
        [
            ("Budi membawa tanda pengenal", 1),
            ("Budi tidak membawa tanda pengenal", 0),
            ("Semua yang membawa tanda pengenal adalah Budi", 0),
            ("Tidak dapat disimpulkan", 0),
        ],
        "Jika semua petugas membawa tanda pengenal dan Budi petugas, Budi pasti membawanya.",
    ),
    (
        "LATIHAN-008",
        "penalaran_logis",
        "medium",
        "Deret angka: 3, 6, 12, 24, ... Angka berikutnya adalah ...",
        [("48", 1), ("30", 0), ("36", 0), ("27", 0)],
        "Setiap angka adalah dua kali angka sebelumnya: 24 x 2 = 48.",
    ),
]


def ensure_practice_questions() -> int:
    """Add the practice questions that are not in the bank yet; returns how many were added.

    Flushes; the caller commits (like the demo seed)."""
    existing = set(
        db.session.scalars(
            db.select(Question.external_id).where(
                Question.external_id.in_([q[0] for q in PRACTICE_QUESTIONS])
            )
        )
    )
    missing = [q for q in PRACTICE_QUESTIONS if q[0] not in existing]
    if not missing:
        return 0
    categories = ensure_categories(CATEGORY_NAMES.items())
    for external_id, slug, difficulty, stem, options, explanation in missing:
        question = make_question(
            category=slug,
            difficulty=Difficulty(difficulty),
            stem=stem,
            options=[Option(text, Decimal(points)) for text, points in options],
            id=external_id,
        )
        add_question(
            question,
            categories[slug],
            status=QuestionStatus.ACTIVE,
            practice=True,
            explanation=explanation,
        )
    db.session.flush()
    return len(missing)
