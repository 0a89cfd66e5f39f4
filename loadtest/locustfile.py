"""Locust scenarios of the competency-test service. HTTP only, like every real client.

Run one scenario per locust run, headless, naming its user class, e.g.:

    python -m locust -f loadtest/locustfile.py --headless --host http://127.0.0.1:8000 \\
        -u 1000 -r 200 --run-time 10m --seed-file seed.json --report-file report.json \\
        SteadyCandidate

Scenarios (user classes):
- RegistrationBurst: every user registers one new account, at once.
- BookingStorm: the seeded candidates (more than the seats) log in, wait for each
  other, then all choose a session in the same moment; a full session sends them
  back to the list, as the page does.
- StartStorm: the seeded, booked candidates log in, then start their test within
  `--start-window` seconds.
- SteadyCandidate: the whole test: start within `--start-window`, answer the 30
  questions at random intervals spread over the (shortened) test duration, change
  some answers, reload once, then submit or let the time run out.
- SubmitBurst: the end of a test: start within `--start-window`, answer a few
  questions, then everyone submits within the same `--burst-window` seconds,
  `--submit-at` seconds after the barrier.
- AnswerFlood / StatusFlood / SessionFlood / HealthzFlood / HelloFlood: closed loops
  without think time, for `--measure-seconds`: answer saves; the test page's status
  poll; GET /api/v1/me (a logged-in request doing nothing else); the trivial /healthz
  of the service; and a bare Flask hello (loadtest/hello.py, the ceiling of Flask plus
  gunicorn here).
- ResultsPoller: the recruitment system reading GET /api/v1/results page by page.

Options (each also from the environment variable in brackets) are listed by
`python -m locust -f loadtest/locustfile.py --help` under "Custom arguments".
Candidates come from a seed file (`python -m loadtest.seed ... > seed.json`),
handed out one per user in this process: run one locust process per scenario
(no --processes, no distributed workers).

Logins happen before a barrier that every user waits at; the request statistics
are reset when it opens, so the numbers measure the scenario, not argon2.
`--report-file` receives a JSON summary (per request name: count, failures, req/s,
p50/p95/p99), the scenario's outcomes, and every answer the server acknowledged,
for `loadtest.checks`.
"""

from __future__ import annotations

import itertools
import json
import random
import secrets
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from gevent.lock import BoundedSemaphore
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

API = "/api/v1"
REGISTRATION_DOMAIN = "loadtest.example"
# Answers stop this long before the server's deadline, so none arrives late.
DEADLINE_MARGIN_SECONDS = 3.0
MAX_ERRORS_KEPT = 20
# A login or start that got no answer (status 0: the 30 s network timeout, a broken
# connection) or a 502-504 is tried again, as a person would, at most this many times. On a busy
# machine (load average 19 on two cores) argon2 logins queued up to 34 s in the server.
LOGIN_TRIES = 3
NO_ANSWER_STATUSES = (0, 502, 503, 504)


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("Custom arguments")
    group.add_argument(
        "--seed-file", env_var="LOADTEST_SEED_FILE", default="", help="JSON of loadtest.seed"
    )
    group.add_argument(
        "--report-file", env_var="LOADTEST_REPORT_FILE", default="", help="write the summary here"
    )
    group.add_argument(
        "--first-candidate",
        type=int,
        env_var="LOADTEST_FIRST_CANDIDATE",
        default=0,
        help="index of the first seeded candidate this run uses",
    )
    group.add_argument(
        "--barrier-timeout",
        type=float,
        env_var="LOADTEST_BARRIER_TIMEOUT",
        default=300.0,
        help="seconds users wait for each other after logging in",
    )
    group.add_argument(
        "--login-concurrency",
        type=int,
        env_var="LOADTEST_LOGIN_CONCURRENCY",
        default=8,
        help="logins in flight at once (argon2 is slow by design; more only queue up)",
    )
    group.add_argument(
        "--start-window",
        type=float,
        env_var="LOADTEST_START_WINDOW",
        default=10.0,
        help="seconds over which candidates start their test",
    )
    group.add_argument(
        "--fill",
        type=float,
        env_var="LOADTEST_FILL",
        default=0.8,
        help="share of the remaining test time the answers are spread over",
    )
    group.add_argument(
        "--answer-for",
        type=float,
        env_var="LOADTEST_ANSWER_FOR",
        default=0.0,
        help="SteadyCandidate: leave this many seconds after starting (0: the whole test)",
    )
    group.add_argument(
        "--change-share",
        type=float,
        env_var="LOADTEST_CHANGE_SHARE",
        default=0.2,
        help="share of the questions answered a second time, differently",
    )
    group.add_argument(
        "--submit-share",
        type=float,
        env_var="LOADTEST_SUBMIT_SHARE",
        default=0.7,
        help="share of candidates who submit; the others let the time run out",
    )
    group.add_argument(
        "--submit-at",
        type=float,
        env_var="LOADTEST_SUBMIT_AT",
        default=60.0,
        help="SubmitBurst: seconds after the barrier when the submits begin",
    )
    group.add_argument(
        "--burst-window",
        type=float,
        env_var="LOADTEST_BURST_WINDOW",
        default=5.0,
        help="SubmitBurst: seconds over which every candidate submits",
    )
    group.add_argument(
        "--burst-answers",
        type=int,
        env_var="LOADTEST_BURST_ANSWERS",
        default=5,
        help="SubmitBurst: questions each candidate answers before submitting",
    )
    group.add_argument(
        "--booking-retries",
        type=int,
        env_var="LOADTEST_BOOKING_RETRIES",
        default=6,
        help="how often a candidate tries another session after 'session_full'",
    )
    group.add_argument(
        "--measure-seconds",
        type=float,
        env_var="LOADTEST_MEASURE_SECONDS",
        default=20.0,
        help="length of the closed-loop scenarios after the barrier",
    )
    group.add_argument(
        "--poll-interval",
        type=float,
        env_var="LOADTEST_POLL_INTERVAL",
        default=1.0,
        help="seconds a results poller waits once it has read everything",
    )
    group.add_argument(
        "--page-size", type=int, env_var="LOADTEST_PAGE_SIZE", default=100, help="results per page"
    )
    group.add_argument(
        "--tag",
        env_var="LOADTEST_TAG",
        default="",
        help="names the accounts RegistrationBurst creates (default: random)",
    )


class Run:
    """What the users of this process share: the seed, a barrier, outcomes, acknowledgements."""

    def __init__(self, environment: Environment) -> None:
        options = environment.parsed_options
        self.environment = environment
        self.options = options
        self.users = int(options.num_users or 1)
        self.seed: dict[str, Any] = (
            json.loads(Path(options.seed_file).read_text()) if options.seed_file else {}
        )
        self.tag = options.tag or secrets.token_hex(3)
        self._numbers = itertools.count(options.first_candidate)
        self.login_slots = BoundedSemaphore(max(1, options.login_concurrency))
        self.arrived = 0
        self.finished = 0
        self.opened = Event()
        self.measure_started: float | None = None
        self.outcomes: Counter[str] = Counter()
        self.errors: list[str] = []
        # attempt id -> position -> [seq, choice] of the newest acknowledged save.
        self.acks: dict[int, dict[int, list[Any]]] = {}
        self.bookings: list[dict[str, int]] = []
        self.registered: list[str] = []
        self.results_seen: set[int] = set()
        # Per poller: results read until the feed first said "nothing more", and repeats.
        self.first_passes: list[dict[str, int]] = []

    def next_number(self) -> int:
        return next(self._numbers)

    def candidate_email(self, number: int) -> str | None:
        """Seeded candidate `number`'s e-mail; None when there are more users than candidates."""
        if number >= int(self.seed.get("candidates", 0)):
            return None
        return str(self.seed["email_template"]).format(n=number)

    def arrive(self) -> None:
        """Wait until every user has arrived (or the timeout); the first to open resets stats."""
        self.arrived += 1
        if self.arrived >= self.users:
            self._open()
        else:
            self.opened.wait(timeout=self.options.barrier_timeout)
            self._open()

    def _open(self) -> None:
        if self.opened.is_set():
            return
        self.environment.stats.reset_all()
        self.measure_started = time.time()
        self.opened.set()

    def finish(self) -> None:
        """One user is done; the last one ends the run."""
        self.finished += 1
        if self.finished >= self.users and self.environment.runner is not None:
            gevent.spawn(self.environment.runner.quit)

    def error(self, text: str) -> None:
        self.outcomes["error"] += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(text[:300])

    def ack(self, attempt_id: int, position: int, seq: int, choice: str | None) -> None:
        stored = self.acks.setdefault(attempt_id, {}).get(position)
        if stored is None or seq > stored[0]:
            self.acks[attempt_id][position] = [seq, choice]

    def record_first_pass(self, results: int, duplicates: int) -> None:
        self.first_passes.append({"results": results, "duplicates": duplicates})

    def report(self) -> dict[str, Any]:
        ended = time.time()
        return {
            "users": self.users,
            "measured_seconds": round(ended - (self.measure_started or ended), 2),
            "requests": request_summary(self.environment),
            "outcomes": dict(self.outcomes),
            "errors": self.errors,
            "acks": {str(a): {str(p): v for p, v in acks.items()} for a, acks in self.acks.items()},
            "bookings": self.bookings,
            "registered": self.registered,
            "results_seen": len(self.results_seen),
            "first_passes": self.first_passes,
            "tag": self.tag,
        }


def request_summary(environment: Environment) -> dict[str, dict[str, Any]]:
    """Per request name: count, failures, req/s over its own span, latency percentiles (ms)."""
    summary = {}
    for entry in environment.stats.entries.values():
        if not entry.num_requests and not entry.num_failures:
            continue
        summary[entry.name] = {
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "rps": round(entry.total_rps, 1),
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "max": round(entry.max_response_time or 0, 1),
            "avg": round(entry.avg_response_time, 1),
        }
    return summary


RUN: Run | None = None


@events.test_start.add_listener
def _test_start(environment: Environment, **_kwargs: Any) -> None:
    global RUN
    RUN = Run(environment)


@events.test_stop.add_listener
def _test_stop(environment: Environment, **_kwargs: Any) -> None:
    if RUN is None or not environment.parsed_options.report_file:
        return
    Path(environment.parsed_options.report_file).write_text(json.dumps(RUN.report()))


def run_state() -> Run:
    if RUN is None:
        raise RuntimeError("the test has not started")
    return RUN


# --- users -------------------------------------------------------------------------


class ServiceUser(FastHttpUser):
    """A client of the service: JSON in and out, the CSRF header after login.

    Each user plays once: `prepare` (e.g. log in), the barrier, `scenario`; then it stops,
    and the last one to stop ends the run.
    """

    abstract = True
    wait_time = constant(0)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.run = run_state()
        self.csrf = ""

    @task
    def play(self) -> None:
        try:
            ready = self.prepare()
            self.run.arrive()
            if ready:
                self.scenario()
        finally:
            self.run.finish()
        raise StopUser()

    def prepare(self) -> bool:
        return True

    def scenario(self) -> None:
        raise NotImplementedError

    def call(
        self, method: str, path: str, name: str, expect: tuple[int, ...] = (200,), **kwargs: Any
    ) -> tuple[int, Any]:
        """One request; a status outside `expect` is a failure. Returns (status, JSON or None)."""
        headers = dict(kwargs.pop("headers", {}))
        if method != "GET" and self.csrf:
            headers["X-CSRFToken"] = self.csrf
        with self.client.request(
            method, path, name=name, headers=headers, catch_response=True, **kwargs
        ) as response:
            status = response.status_code or 0
            body = _json(response.text)
            if status in expect:
                response.success()
            else:
                message = f"{name}: {status} {_error_code(body) or (response.text or '')[:120]}"
                response.failure(message)
                self.run.error(message)
            return status, body


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _error_code(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("code", ""))
    return ""


class CandidateUser(ServiceUser):
    """A seeded candidate: logs in before the barrier."""

    abstract = True

    def prepare(self) -> bool:
        self.number = self.run.next_number()
        email = self.run.candidate_email(self.number)
        if email is None:
            self.run.outcomes["no_candidate_left"] += 1
            return False
        for tries in range(1, LOGIN_TRIES + 1):
            with self.run.login_slots:
                status, body = self.call(
                    "POST",
                    f"{API}/auth/login",
                    "login",
                    json={"email": email, "password": self.run.seed["password"]},
                )
            if status not in NO_ANSWER_STATUSES or tries == LOGIN_TRIES:
                break
            self.run.outcomes["login_retried"] += 1
        if status != 200 or not body:
            self.run.outcomes["login_failed"] += 1
            return False
        self.csrf = body["csrf_token"]
        return True

    def start_attempt(self) -> dict[str, Any] | None:
        """Start (or resume: the request is idempotent); one that got no answer is sent
        again, as the page's "Coba lagi" does."""
        for tries in range(1, LOGIN_TRIES + 1):
            status, body = self.call("POST", f"{API}/me/attempt", "start attempt")
            if status not in NO_ANSWER_STATUSES or tries == LOGIN_TRIES:
                break
            self.run.outcomes["start_retried"] += 1
        if status != 200 or not body or body.get("status") != "in_progress":
            self.run.outcomes["start_failed"] += 1
            return None
        self.run.outcomes["started"] += 1
        self.attempt_id = int(body["attempt_id"])
        self.seq = 0
        self.keys = {q["position"]: [o["key"] for o in q["options"]] for q in body["questions"]}
        return body

    def save(self, position: int, choice: str) -> None:
        """PUT one answer with the next seq; remember what the server acknowledged."""
        self.seq += 1
        status, body = self.call(
            "PUT",
            f"{API}/me/attempt/answers/{position}",
            "save answer",
            json={"choice": choice, "seq": self.seq},
        )
        if status == 200 and body:
            self.run.ack(self.attempt_id, body["position"], body["seq"], body["choice"])
            self.run.outcomes["answers_acknowledged"] += 1

    def submit(self) -> None:
        status, body = self.call("POST", f"{API}/me/attempt/submit", "submit")
        if status == 200 and body and body.get("status") == "finished":
            self.run.outcomes["submitted"] += 1


class RegistrationBurst(ServiceUser):
    """Each user registers one new (invented) account, all at the same moment."""

    def scenario(self) -> None:
        number = self.run.next_number()
        email = f"daftar-{self.run.tag}-{number:05d}@{REGISTRATION_DOMAIN}"
        status, _body = self.call(
            "POST",
            f"{API}/auth/register",
            "register",
            expect=(201,),
            json={
                "email": email,
                "password": f"Uji-beban-{self.run.tag}-{number}",
                "full_name": f"Pendaftar Uji {number}",
                "consent": True,
            },
        )
        if status == 201:
            self.run.registered.append(email)
            self.run.outcomes["registered"] += 1


class BookingStorm(CandidateUser):
    """Everyone presses "choose" at once; a full session sends the candidate back to the list."""

    def scenario(self) -> None:
        activity_id = self.run.seed["activity_id"]
        for _try in range(self.run.options.booking_retries + 1):
            status, body = self.call(
                "GET", f"{API}/activities/{activity_id}/sessions", "list sessions"
            )
            if status != 200 or not body:
                return
            open_sessions = [s["id"] for s in body["items"] if s["seats_left"] > 0]
            if not open_sessions:
                self.run.outcomes["no_seat_left"] += 1
                return
            status, body = self.call(
                "POST",
                f"{API}/me/bookings",
                "book",
                expect=(201, 409),
                json={"session_id": random.choice(open_sessions)},
            )
            if status == 201:
                self.run.outcomes["booked"] += 1
                self.run.bookings.append(
                    {
                        "number": self.number,
                        "booking_id": body["id"],
                        "session_id": body["session_id"],
                    }
                )
                return
            code = _error_code(body)
            self.run.outcomes[f"refused_{code}"] += 1
            if code != "session_full":
                self.run.error(f"book: 409 {code}")
                return
        self.run.outcomes["gave_up"] += 1


class StartStorm(CandidateUser):
    """Booked candidates start their test within `--start-window` seconds."""

    def scenario(self) -> None:
        gevent.sleep(random.uniform(0, self.run.options.start_window))
        self.start_attempt()


class SteadyCandidate(CandidateUser):
    """The whole test at a human pace, spread over the seeded (shortened) duration.

    With `--answer-for S`, candidates leave S seconds after starting, their tests
    still in progress: a window of a long test at its real pace.
    """

    def scenario(self) -> None:
        gevent.sleep(random.uniform(0, self.run.options.start_window))
        attempt = self.start_attempt()
        if attempt is None:
            return
        began = time.monotonic()
        remaining = attempt["remaining_seconds"]
        ends = began + remaining - DEADLINE_MARGIN_SECONDS
        leaves = began + self.run.options.answer_for
        # The answers are spread over `fill` of the time. Each pause is planned from the
        # time still left for the steps still to do, as a person glancing at the clock
        # would: a slow server's responses are absorbed, not added to a fixed schedule.
        answered_by = began + self.run.options.fill * remaining
        plan = self.plan()
        reload_at = random.randrange(len(plan))
        for step, (position, choice) in enumerate(plan):
            gap = max(0.0, answered_by - time.monotonic()) / (len(plan) - step)
            pause = random.uniform(0.5, 1.5) * gap
            if self.run.options.answer_for and time.monotonic() + pause > leaves:
                self.run.outcomes["left_in_progress"] += 1
                return
            if time.monotonic() + pause > ends:
                self.run.outcomes["ran_out_of_time"] += 1
                break
            gevent.sleep(pause)
            if step == reload_at:
                self.reload()
            self.save(position, choice)
        if random.random() < self.run.options.submit_share:
            self.submit()
        else:
            self.run.outcomes["left_to_time_out"] += 1

    def plan(self) -> list[tuple[int, str]]:
        """Every question in order, plus second thoughts on some, later and different."""
        plan = [(position, random.choice(options)) for position, options in self.keys.items()]
        share = self.run.options.change_share
        for position in random.sample(list(self.keys), k=round(len(self.keys) * share)):
            first = next(i for i, (p, _c) in enumerate(plan) if p == position)
            other = [k for k in self.keys[position] if k != plan[first][1]]
            plan.insert(random.randint(first + 1, len(plan)), (position, random.choice(other)))
        return plan

    def reload(self) -> None:
        """The page reloads: the saved answers must be exactly the acknowledged ones."""
        status, body = self.call("GET", f"{API}/me/attempt", "reload attempt")
        if status != 200 or not body:
            return
        expected = {str(p): v[1] for p, v in self.run.acks.get(self.attempt_id, {}).items()}
        if body["answers"] != expected:
            self.run.error(f"reload: answers differ for attempt {self.attempt_id}")
            self.run.outcomes["reload_mismatch"] += 1
        else:
            self.run.outcomes["reloaded"] += 1


class SubmitBurst(CandidateUser):
    """The end of a test: a few answers, then every candidate submits in the same
    `--burst-window` seconds, which begin `--submit-at` seconds after the barrier (the
    bench puts that before every deadline)."""

    def scenario(self) -> None:
        options = self.run.options
        opened = self.run.measure_started or time.time()
        gevent.sleep(random.uniform(0, options.start_window))
        if self.start_attempt() is None:
            return
        positions = random.sample(list(self.keys), k=min(options.burst_answers, len(self.keys)))
        answered_by = opened + options.fill * options.submit_at
        for step, position in enumerate(positions):
            gap = max(0.0, answered_by - time.time()) / (len(positions) - step)
            gevent.sleep(random.uniform(0.5, 1.5) * gap)
            self.save(position, random.choice(self.keys[position]))
        window = (opened + options.submit_at, opened + options.submit_at + options.burst_window)
        gevent.sleep(max(0.0, random.uniform(*window) - time.time()))
        # A candidate still answering when the window closed submits late: counted apart.
        self.run.outcomes[
            "submit_sent_in_window" if time.time() <= window[1] else "submit_sent_late"
        ] += 1
        self.submit()


class AnswerFlood(CandidateUser):
    """Answer saves in a closed loop without think time (the attempt starts before the barrier)."""

    def prepare(self) -> bool:
        return super().prepare() and self.start_attempt() is not None

    def scenario(self) -> None:
        positions = list(self.keys)
        ends = time.monotonic() + self.run.options.measure_seconds
        while time.monotonic() < ends:
            position = random.choice(positions)
            self.save(position, random.choice(self.keys[position]))


class StatusFlood(CandidateUser):
    """The test page's poll (GET /me/attempt/status every 30 s during a test), in the same
    loop: with every candidate of a session polling, the most frequent request of all."""

    def prepare(self) -> bool:
        return super().prepare() and self.start_attempt() is not None

    def scenario(self) -> None:
        ends = time.monotonic() + self.run.options.measure_seconds
        while time.monotonic() < ends:
            self.call("GET", f"{API}/me/attempt/status", "status")


class SessionFlood(CandidateUser):
    """GET /api/v1/me in the same loop: the cost of a logged-in request doing nothing else."""

    def scenario(self) -> None:
        ends = time.monotonic() + self.run.options.measure_seconds
        while time.monotonic() < ends:
            self.call("GET", f"{API}/me", "me")


class HealthzFlood(ServiceUser):
    """The reference: the trivial /healthz of the same app, in the same closed loop."""

    def scenario(self) -> None:
        ends = time.monotonic() + self.run.options.measure_seconds
        while time.monotonic() < ends:
            self.call("GET", "/healthz", "healthz")


class HelloFlood(ServiceUser):
    """The ceiling: loadtest/hello.py (a bare Flask hello under the same gunicorn
    settings), in the same closed loop."""

    def scenario(self) -> None:
        ends = time.monotonic() + self.run.options.measure_seconds
        while time.monotonic() < ends:
            self.call("GET", "/", "hello")


class ResultsPoller(ServiceUser):
    """The recruitment system: page through the feed, then poll for new results."""

    def scenario(self) -> None:
        headers = {"Authorization": f"Bearer {self.run.seed['api_key']}"}
        size = self.run.options.page_size
        cursor = ""
        seen: set[int] = set()
        duplicates = 0
        first_pass = True
        ends = time.monotonic() + self.run.options.measure_seconds
        while time.monotonic() < ends:
            query = urlencode({"limit": size, **({"after": cursor} if cursor else {})})
            status, body = self.call(
                "GET", f"{API}/results?{query}", "results page", headers=headers
            )
            if status != 200 or not body:
                gevent.sleep(self.run.options.poll_interval)
                continue
            for item in body["items"]:
                duplicates += item["attempt_id"] in seen
                seen.add(item["attempt_id"])
            cursor = body["next_cursor"]
            if not body["has_more"]:
                if first_pass:
                    self.run.record_first_pass(len(seen), duplicates)
                    first_pass = False
                gevent.sleep(self.run.options.poll_interval)
        self.run.results_seen |= seen
