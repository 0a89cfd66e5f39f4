"""Every admin page can be found: crawling the links from the admin's home (/beranda)
on a realistic recruitment reaches every GET page under /admin/ (and the admin's
other pages), each answering without a server error."""

from __future__ import annotations

from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.support.funnel import seed_activity

# Admin pages outside /admin/ that the crawl must reach too.
OTHER_ADMIN_PAGES = {
    "selection.announcement_page",  # the public announcement the admin checks and prints
}

# Pages under /admin/ that need not be reached, each with its reason. Keep it empty
# unless a page truly has no place in the admin's links.
UNREACHED_ON_PURPOSE: dict[str, str] = {}

# How many URLs of one endpoint the crawl opens (one per application would be
# slow and proves nothing more).
PER_ENDPOINT = 10

# Paths the crawl follows; the rest (the candidate's pages, the author's) are not the admin's.
FOLLOW = ("/admin/", "/beranda", "/akun", "/pengumuman/", "/api/v1/admin/")


class _Links(HTMLParser):
    """The targets of a page's links and of its GET forms (a filter, an export)."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        elif tag == "form" and (values.get("method") or "get").lower() == "get":
            self.hrefs.append(values.get("action") or "")


def admin_pages(app) -> set[str]:
    """The endpoints of the admin's pages: GET routes under /admin/ (not the JSON API)."""
    pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.rule.startswith("/admin/")
    }
    return pages | OTHER_ADMIN_PAGES


def crawl(app, client, start: str = "/beranda") -> tuple[set[str], dict[str, int]]:
    """Follow links from `start`; the endpoints linked to, and the status of each page opened."""
    adapter = app.url_map.bind("localhost")
    reached: set[str] = set()
    statuses: dict[str, int] = {}
    opened: Counter[str] = Counter()
    queue: deque[str] = deque([start])
    seen = {start}
    while queue:
        url = queue.popleft()
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code in (301, 302, 303, 307, 308):
            target = urlsplit(urljoin(url, response.headers["Location"]))
            links = [target.path + (f"?{target.query}" if target.query else "")]
        elif response.mimetype == "text/html":
            parser = _Links()
            parser.feed(response.get_data(as_text=True))
            links = parser.hrefs
        else:
            continue
        for href in links:
            parts = urlsplit(urljoin(url, href))
            if parts.netloc not in ("", "localhost") or not parts.path.startswith(FOLLOW):
                continue
            try:
                endpoint, _args = adapter.match(parts.path, method="GET")
            except (NotFound, MethodNotAllowed):
                continue
            reached.add(endpoint)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen or opened[endpoint] >= PER_ENDPOINT:
                continue
            seen.add(target)
            opened[endpoint] += 1
            queue.append(target)
    return reached, statuses


@pytest.fixture
def seeded(request):
    return seed_activity(request)


def test_every_admin_page_is_reached_by_links_from_the_home(app, seeded):
    reached, statuses = crawl(app, seeded.admin.raw)
    expected = admin_pages(app) - set(UNREACHED_ON_PURPOSE)
    missing = sorted(expected - reached)
    assert not missing, "admin pages no link leads to: " + ", ".join(
        f"{e} ({next(r.rule for r in app.url_map.iter_rules() if r.endpoint == e)})"
        for e in missing
    )
    broken = {url: status for url, status in statuses.items() if status >= 400}
    assert not broken, f"pages answering with an error: {broken}"


def test_the_exceptions_are_still_admin_pages(app):
    """A documented exception for a page that no longer exists is a stale excuse."""
    assert set(UNREACHED_ON_PURPOSE) <= admin_pages(app)
