"""A throw-away Redis Cluster on 127.0.0.1: masters from `redis-server` in cluster mode,
joined by `redis-cli --cluster create`, stopped and deleted on the way out.

The scale-out run (loadtest.scaleout) and tests/integration/test_redis_cluster.py use it:

    with LocalCluster.start(tmp_dir) as cluster:          # 3 masters on free ports
        os.environ["REDIS_URL"] = cluster.url             # redis+cluster://127.0.0.1:P,...

Nothing here persists: no RDB, no AOF, the node files live in the folder given.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import redis

from .server import stop_process

# Redis Cluster's bus listens on the client port + 10000.
BUS_OFFSET = 10_000
# Upper bounds, not expectations: each wait ends when what it waits for has happened.
NODE_START_SECONDS = 20.0
CLUSTER_OK_SECONDS = 30.0
STOP_SECONDS = 10.0


class ClusterDidNotStart(RuntimeError):
    pass


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_node_port() -> int:
    """A port on 127.0.0.1 free for a cluster node: the port and its bus port."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + BUS_OFFSET <= 65_535 and _port_free(port + BUS_OFFSET):
            return port
        # An ephemeral port too high for its bus port: take one below the range.
        port = 20_000 + port % 20_000
        if _port_free(port) and _port_free(port + BUS_OFFSET):
            return port
    raise ClusterDidNotStart("no free port pair for a cluster node")


@dataclass
class LocalCluster:
    """Masters of one Redis Cluster, each a `redis-server` process of ours."""

    ports: list[int]
    folder: Path
    processes: list[subprocess.Popen]

    @property
    def url(self) -> str:
        """REDIS_URL of the service (and `limits`' storage URI) for this cluster."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in self.ports)

    @classmethod
    def start(cls, folder: Path, ports: list[int] | None = None, masters: int = 3) -> Self:
        """Start the masters (on `ports`, else free ones) with their files in `folder`,
        create the cluster, and return once every node reports `cluster_state:ok`."""
        ports = ports or [free_node_port() for _ in range(masters)]
        folder.mkdir(parents=True, exist_ok=True)
        cluster = cls(ports, folder, [])
        try:
            for port in ports:
                cluster.processes.append(_start_node(port, folder / str(port)))
            for port in ports:
                _wait_for_ping(port)
            subprocess.run(  # noqa: S603 (fixed arguments)
                [
                    _binary("redis-cli"),
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{port}" for port in ports),
                    "--cluster-replicas",
                    "0",
                    "--cluster-yes",
                ],
                check=True,
                capture_output=True,
                timeout=CLUSTER_OK_SECONDS,
            )
            cluster.wait_ok()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def wait_ok(self, seconds: float = CLUSTER_OK_SECONDS) -> None:
        """Until every node says `cluster_state:ok` and knows every other node."""
        ends = time.monotonic() + seconds
        while not all(self._node_ok(port) for port in self.ports):
            if time.monotonic() > ends:
                raise ClusterDidNotStart(f"cluster {self.ports} not ok within {seconds:g} s")
            time.sleep(0.1)

    def _node_ok(self, port: int) -> bool:
        with redis.Redis(port=port, decode_responses=True, socket_timeout=1) as node:
            info = node.cluster("info")
        return (
            info.get("cluster_state") == "ok"
            and int(info.get("cluster_known_nodes", 0)) == len(self.ports)
            and int(info.get("cluster_slots_ok", 0)) == 16_384
        )

    def stop(self) -> None:
        """Stop every node of ours (all asked at once) and delete the folder."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            stop_process(process, STOP_SECONDS)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ClusterDidNotStart(f"{name} is not installed")
    return path


def _start_node(port: int, folder: Path) -> subprocess.Popen:
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        _binary("redis-server"),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
        "--cluster-node-timeout",
        "5000",
        "--dir",
        str(folder),
        "--save",
        "",
        "--appendonly",
        "no",
        "--logfile",
        str(folder / "redis.log"),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def _wait_for_ping(port: int) -> None:
    ends = time.monotonic() + NODE_START_SECONDS
    with redis.Redis(port=port, socket_timeout=1, socket_connect_timeout=1) as node:
        while True:
            try:
                node.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > ends:
                    raise ClusterDidNotStart(f"redis-server on {port} did not answer") from None
                time.sleep(0.05)
