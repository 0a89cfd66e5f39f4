"""gunicorn settings (`gunicorn -c gunicorn.conf.py "exam_service:create_app()"`).

gthread workers: the hot endpoints (answer saves) wait on Redis and the
database, not on the CPU, so a few threads per process overlap that waiting
without the memory of many processes. Two workers per core is the starting
point on the 2-core machines we measure on; loadtest/ measures the choice.
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
    """gunicorn's logs without secrets in URLs: the activation link carries its
    single-use token in the path, which the access log's request line, path and
    Referer, and the debug log's request lines, would otherwise record."""

    SECRET_IN_PATH = re.compile(r"(/activate/)[^/?\s\"]+")

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
