"""Where a person lands after logging in through the page."""

from __future__ import annotations

from tests.support.accounts import PASSWORD


def log_in_through_the_page(client, email: str):
    return client.submit_form(
        "/login", {"email": email, "password": PASSWORD}, follow_redirects=True
    )


def test_a_candidate_with_a_test_in_progress_lands_on_the_test(
    app, make_client, login, exam_activity, book_candidate
):
    booked = book_candidate(exam_activity())
    assert login(booked.user).post("/api/v1/me/attempt").status_code == 200

    landed = log_in_through_the_page(make_client(), booked.email)

    assert landed.request.path == "/ujian"


def test_a_candidate_without_a_running_test_lands_on_the_applications(
    app, make_client, exam_activity, book_candidate
):
    booked = book_candidate(exam_activity())

    landed = log_in_through_the_page(make_client(), booked.email)

    assert landed.request.path == "/lamaran"
