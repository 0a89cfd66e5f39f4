"""Where a machine's CPU goes during a load test, by group of processes (psutil).

A background thread records, every `interval` seconds, the CPU time of the whole machine
and of every process (user + system), each process put in a group by `classify` (e.g.
"app node 1", "nginx", "others"). `usage(start, end)` turns the two records nearest a
window's ends into cores used per group over the window. A process that starts or exits
inside a window is counted from its first record or up to its last; the machine's total
is exact.
"""

from __future__ import annotations

import os
import threading
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import psutil


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    name: str
    cmdline: str
    cpu_seconds: float


@dataclass(frozen=True)
class Sample:
    at: float
    busy: float
    total: float
    # pid -> (group, CPU seconds)
    processes: dict[int, tuple[str, float]]


def processes() -> dict[int, Proc]:
    """Every process readable now."""
    found = {}
    for process in psutil.process_iter(["pid", "ppid", "name", "cmdline", "cpu_times"]):
        info = process.info
        if info["cpu_times"] is None:  # exited or not ours to read
            continue
        found[info["pid"]] = Proc(
            info["pid"],
            info["ppid"],
            info["name"],
            " ".join(info["cmdline"] or ()),
            info["cpu_times"].user + info["cpu_times"].system,
        )
    return found


def descendants(root: int, procs: dict[int, Proc]) -> set[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = defaultdict(list)
    for proc in procs.values():
        children[proc.ppid].append(proc.pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children[pid]
    return found


@dataclass
class CpuRecorder:
    """Records samples on a thread until stopped (a `with` block)."""

    classify: Callable[[dict[int, Proc]], dict[int, str]]
    interval: float = 0.5
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="cpu-recorder", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self._sample())
            self._stop.wait(self.interval)

    def _sample(self) -> Sample:
        procs = processes()
        groups = self.classify(procs)
        machine = psutil.cpu_times()
        total = sum(machine)
        return Sample(
            time.time(),
            total - machine.idle - getattr(machine, "iowait", 0.0),
            total,
            {pid: (groups.get(pid, "others"), p.cpu_seconds) for pid, p in procs.items()},
        )

    def usage(self, start: float, end: float) -> dict[str, float]:
        """Cores used per group between `start` and `end` (time.time()), and "idle"."""
        times = [s.at for s in self.samples]
        first = self.samples[min(bisect_left(times, start), len(times) - 1)]
        last = self.samples[max(bisect_left(times, end) - 1, 0)]
        seconds = last.at - first.at
        if seconds <= 0:
            return {}
        used: dict[str, float] = defaultdict(float)
        for pid, (group, spent) in last.processes.items():
            before = first.processes.get(pid, (group, spent))[1]
            used[group] += (spent - before) / seconds
        cores = os.cpu_count() or 1
        used["idle"] = cores * (1 - (last.busy - first.busy) / max(1, last.total - first.total))
        return {group: round(value, 2) for group, value in sorted(used.items())}
