"""gunicorn settings (`gunicorn -c gunicorn.conf.py "exam_service:create_app()"`).

gthread workers: the hot endpoints (answer saves) wait on Redis and the
database, so threads overlap that waiting without the memory of more processes,
and a thread stuck on a slow request (an XLSX export, a document upload from a
phone, a Redis timeout of 1 s) does not stop its worker serving the others.

Counts, measured on the 2-core benchmark machine (docs/performance.md; saturated
answer saves as a ratio to GET /healthz in the same run): 2 workers x 1 thread
0.16, 2 x 4 0.13, 2 x 8 0.14, 4 x 2 0.13 (and the worst p99). Threads beyond
one buy little throughput under the GIL, and more processes than cores buy
none; 2 x 4 keeps the safety of spare threads at most a fifth below the
single-threaded peak. One worker per core, then, and a few threads each.
Every value can be overridden from the environment.
"""

import os
import re

from gunicorn import glogging

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Above PostgreSQL's statement_timeout (20 s), so a slow statement ends as a 503
# from the app rather than as a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# gunicorn's control socket defaults to one path per user: several servers on one
# machine (tests, benchmarks) would fight over it, and we do not use it.
control_socket_disable = True


class RedactingLogger(glogging.Logger):
    """gunicorn's logs without secrets in URLs: the mailed links (activation,
    password reset, e-mail change) carry their single-use token in the path, which
    the access log's request line, path and Referer, and the debug log's request
    lines, would otherwise record."""

    SECRET_IN_PATH = re.compile(r"(/(?:activate|atur-ulang-sandi|surel/konfirmasi)/)[^/?\s\"]+")

    def redact(self, value: object) -> object:
        return self.SECRET_IN_PATH.sub(r"\1[redacted]", value) if isinstance(value, str) else value

    def atoms(self, resp, req, environ, request_time):
        return {
            key: self.redact(value)
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }

    def debug(self, msg, *args, **kwargs):
        super().debug(self.redact(msg), *(self.redact(a) for a in args), **kwargs)


logger_class = RedactingLogger


def child_exit(server, worker):
    """prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR): drop the live
    gauge files of a worker that exited; its counters and histograms stay summed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
