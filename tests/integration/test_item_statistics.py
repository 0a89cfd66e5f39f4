"""Item statistics for authors: numbers checked by hand on a small graded data set.

Four candidates sit a five-item test through the real API (start, answer by the
shuffled letters, submit). The bank holds exactly the items the blueprint needs,
so every form has the same five questions (in shuffled order, with shuffled
options); option 0 is the key of each. Chosen original options:

         Q1  Q2  Q3  Q4  Q5   total
    A     0   0   0   1   0     4
    B     0   0   1   2   0     3
    C     0   1   2   0   3     2
    D     0   2   3   0   -     2      (- = unanswered)

Hand-computed (r_pb is corrected: the item against the rest of the test):
Q1 p=1 (everybody right: "too easy", r_pb undefined); Q2 and Q5 p=0.5,
r_pb=0.5/sqrt(0.75); Q3 p=0.25, r_pb=0.5/sqrt(0.75); Q4 p=0.5,
r_pb=-2.5/sqrt(6.75) ("negative discrimination");
KR-20 = 5/4 * (1 - 0.9375/0.6875) = -5/11.
"""

from __future__ import annotations

import math
import re

import pytest

from exam_service.accounts.models import Profile, Role
from exam_service.core.extensions import db
from tests.support.exam import BLUEPRINT
from tests.support.factories import build_category, build_question

TAGS = ("hitung-0", "hitung-1", "hitung-2", "konsep-0", "konsep-1")  # Q1..Q5
PLAN = {
    "A": (0, 0, 0, 1, 0),
    "B": (0, 0, 1, 2, 0),
    "C": (0, 1, 2, 0, 3),
    "D": (0, 2, 3, 0, None),
}
RPB_POSITIVE = 0.5 / math.sqrt(0.75)
RPB_Q4 = -2.5 / math.sqrt(6.75)


def add_exact_bank() -> dict[str, int]:
    """Exactly the blueprint's questions (3 hitung, 2 konsep); returns tag -> version id."""
    versions = {}
    for slug, count in BLUEPRINT["categories"].items():
        category = build_category(slug)
        db.session.flush()
        for n in range(count):
            tag = f"{slug}-{n}"
            question = build_question(
                category.id,
                stem=f"Soal statistik {tag}",
                options=[
                    {"text": f"Pilihan {i} soal {tag}", "points": int(i == 0)} for i in range(4)
                ],
            )
            versions[tag] = question.current_version_id
    return versions


def sit_test(client, plan: tuple[int | None, ...]) -> None:
    """Answer by original option index: find each question and option by its text."""
    form = client.post("/api/v1/me/attempt").json
    for question in form["questions"]:
        tag = re.search(r"Soal statistik (\S+)", question["text"]).group(1)
        original = plan[TAGS.index(tag)]
        if original is None:
            continue
        wanted = f"Pilihan {original} soal {tag}"
        letter = next(o["key"] for o in question["options"] if o["text"] == wanted)
        saved = client.put(
            f"/api/v1/me/attempt/answers/{question['position']}", json={"choice": letter, "seq": 1}
        )
        assert saved.status_code == 200, saved.json
    assert client.post("/api/v1/me/attempt/submit").json["status"] == "finished"


@pytest.fixture
def graded(app, exam_activity, book_candidate, login, make_user):
    """The data set above; returns (activity id, tag -> version id, author client, people)."""
    with app.app_context():
        versions = add_exact_bank()
        db.session.commit()
    activity_id = exam_activity()
    people = []
    for plan in PLAN.values():
        booked = book_candidate(activity_id)
        sit_test(login(booked.user), plan)
        with app.app_context():
            nik = db.session.get_one(Profile, booked.user.id).nik
        people.append((booked.user.full_name, booked.email, nik))
    author = login(make_user(Role.AUTHOR))
    return activity_id, versions, author, people


def by_version(body: dict) -> dict[int, dict]:
    return {item["version_id"]: item for item in body["items"]}


def test_numbers_equal_the_hand_computed_ones(graded):
    activity_id, versions, author, _people = graded
    response = author.get(f"/api/v1/bank/statistics?activity_id={activity_id}")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["attempts"] == 4
    assert body["small_n"] is True
    assert body["mean_score"] == pytest.approx(2.75)
    assert body["kr20"] == pytest.approx(-5 / 11)
    assert [(b["label"], b["count"]) for b in body["histogram"]] == [
        ("0", 0),
        ("1", 0),
        ("2", 2),
        ("3", 1),
        ("4", 1),
        ("5", 0),
    ]
    items = by_version(body)
    assert set(items) == set(versions.values())
    expected = {  # tag: (p, r_pb, flags)
        "hitung-0": (1.0, None, ["too_easy"]),
        "hitung-1": (0.5, RPB_POSITIVE, []),
        "hitung-2": (0.25, RPB_POSITIVE, []),
        "konsep-0": (0.5, RPB_Q4, ["negative_discrimination"]),
        "konsep-1": (0.5, RPB_POSITIVE, []),
    }
    for tag, (p, rpb, flags) in expected.items():
        item = items[versions[tag]]
        assert item["n"] == 4
        assert item["p"] == pytest.approx(p), tag
        assert item["rpb"] == (None if rpb is None else pytest.approx(rpb)), tag
        assert item["flags"] == flags, tag


def test_choice_rates_map_shuffled_letters_back_to_the_options(graded):
    activity_id, versions, author, _people = graded
    items = by_version(author.get(f"/api/v1/bank/statistics?activity_id={activity_id}").json)
    q4 = items[versions["konsep-0"]]
    assert [o["rate"] for o in q4["options"]] == pytest.approx([0.5, 0.25, 0.25, 0.0])
    assert [o["count"] for o in q4["options"]] == [2, 1, 1, 0]
    assert q4["unanswered_rate"] == 0
    assert [o["is_key"] for o in q4["options"]] == [True, False, False, False]
    assert [o["text"] for o in q4["options"]][1] == "Pilihan 1 soal konsep-0"
    q5 = items[versions["konsep-1"]]
    assert [o["rate"] for o in q5["options"]] == pytest.approx([0.5, 0.0, 0.0, 0.25])
    assert (q5["unanswered_count"], q5["unanswered_rate"]) == (1, 0.25)
    q3 = items[versions["hitung-2"]]
    assert [o["count"] for o in q3["options"]] == [1, 1, 1, 1]


def test_all_activities_add_up_and_kr20_needs_one_activity(
    graded, exam_activity, book_candidate, login
):
    activity_id, versions, author, _people = graded
    other = exam_activity()  # same bank: every form again holds Q1..Q5
    sit_test(login(book_candidate(other).user), (0, 0, 0, 0, 0))
    everything = author.get("/api/v1/bank/statistics").json
    assert (everything["activity_id"], everything["kr20"]) == (None, None)
    assert everything["attempts"] == 5
    assert by_version(everything)[versions["hitung-1"]]["p"] == pytest.approx(3 / 5)
    one = author.get(f"/api/v1/bank/statistics?activity_id={activity_id}").json
    assert one["attempts"] == 4
    assert by_version(one)[versions["hitung-1"]]["p"] == pytest.approx(0.5)
    assert one["kr20"] == pytest.approx(-5 / 11)
    assert author.get("/api/v1/bank/statistics?activity_id=999999").status_code == 404


def test_sort_by_flag_puts_the_most_serious_first(graded):
    activity_id, versions, author, _people = graded
    body = author.get(f"/api/v1/bank/statistics?activity_id={activity_id}&sort=flag").json
    assert [i["version_id"] for i in body["items"][:2]] == [
        versions["konsep-0"],  # negative discrimination
        versions["hitung-0"],  # too easy
    ]


def test_overview_page_draws_the_histogram_and_flags(graded):
    activity_id, versions, author, _people = graded
    response = author.get(f"/bank/statistik?kegiatan={activity_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svg = re.search(r"<svg class=\"stats-chart\".*?</svg>", html, re.S).group(0)
    assert 'viewBox="0 0 600 240"' in svg
    assert svg.count('<rect class="bar"') == 6  # one bar per score 0..5
    assert "Skor 2: 2 peserta" in svg
    row = re.search(rf'<tr id="versi-{versions["hitung-0"]}">.*?</tr>', html, re.S).group(0)
    assert "terlalu mudah" in row
    row = re.search(rf'<tr id="versi-{versions["konsep-0"]}">.*?</tr>', html, re.S).group(0)
    assert "daya beda negatif" in row
    assert "-0,45" in html  # KR-20, as Indonesians write it
    assert "n kecil" in html


def test_item_page_charts_the_options_with_the_key_marked(graded):
    activity_id, versions, author, _people = graded
    response = author.get(f"/bank/statistik/soal/{versions['konsep-0']}?kegiatan={activity_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svg = re.search(r"<svg class=\"stats-chart stats-options\".*?</svg>", html, re.S).group(0)
    assert svg.count('class="bar-key"') == 1
    assert svg.count('class="bar"') == 3
    assert 'width="220.0"' in svg  # the key: 50 % of 440
    assert re.search(r'id="item-p">\s*0,50', html)
    assert re.search(r'id="item-rpb">\s*-0,96', html)
    assert author.get("/bank/statistik/soal/999999").status_code == 404


def test_no_personal_data_in_pages_or_json(graded):
    activity_id, versions, author, people = graded
    texts = [
        author.get(f"/api/v1/bank/statistics?activity_id={activity_id}").get_data(as_text=True),
        author.get("/bank/statistik").get_data(as_text=True),
        author.get(f"/bank/statistik?kegiatan={activity_id}").get_data(as_text=True),
        *(
            author.get(f"/bank/statistik/soal/{v}").get_data(as_text=True)
            for v in versions.values()
        ),
    ]
    for name, email, nik in people:
        for text in texts:
            assert name not in text
            assert email not in text
            assert nik not in text


def test_only_authors_see_statistics(graded, make_client, login, make_user):
    _activity_id, versions, _author, _people = graded
    anonymous = make_client()
    assert anonymous.get("/api/v1/bank/statistics").status_code == 401
    page = anonymous.get("/bank/statistik")
    assert page.status_code == 302
    assert "/login" in page.headers["Location"]
    for role in (Role.CANDIDATE, Role.ADMIN):
        client = login(make_user(role))
        assert client.get("/api/v1/bank/statistics").status_code == 403
        assert client.get("/bank/statistik").status_code == 403
        assert client.get(f"/bank/statistik/soal/{versions['hitung-0']}").status_code == 403


def test_the_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/bank/statistics"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"activity_id", "sort"}
