# The service image: the web app (default command), the finishing worker and the
# migration job all run from it; docker-compose.yml picks the command.
# Needs BuildKit (the default builder since Docker Engine 23) for `RUN --mount`.

# --- builder: wheels for every runtime dependency (compilers stay here) ---------
FROM python:3.11-slim AS builder

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt /tmp/requirements.txt
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r /tmp/requirements.txt

# --- runtime: the wheels installed, the source, a non-root user -----------------
FROM python:3.11-slim

# gunicorn.conf.py binds 127.0.0.1:8000 unless GUNICORN_BIND says otherwise.
# Writable state (uploads; the mail outbox when no SMTP server is set) lives in
# the instance folder, outside the source tree, which the app user cannot write.
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    GUNICORN_BIND=0.0.0.0:8000 \
    EXAM_INSTANCE_PATH=/var/lib/exam-service \
    UPLOAD_FOLDER=/var/lib/exam-service/uploads

RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt \
    pip install --no-cache-dir --no-index --find-links=/wheels -r /tmp/requirements.txt

RUN groupadd --system --gid 10001 exam \
    && useradd --system --uid 10001 --gid exam --no-create-home --home-dir /nonexistent exam \
    && mkdir -p /var/lib/exam-service/uploads \
    && chown -R exam:exam /var/lib/exam-service

WORKDIR /app
# create_app finds migrations/ next to the package, so the layout mirrors the repository.
COPY gunicorn.conf.py ./
COPY migrations ./migrations
COPY question_bank ./question_bank
COPY exam_service ./exam_service
RUN python -m compileall -q exam_service question_bank

USER exam
EXPOSE 8000

# Liveness only (/healthz); /readyz also checks PostgreSQL and Redis.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ['GUNICORN_BIND'].rsplit(':', 1)[1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "exam_service:create_app()"]
