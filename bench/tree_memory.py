"""What a process and the processes it forked hold in memory at once: RSS and PSS of the
whole process tree, sampled from a thread of the process itself.

getrusage gives each process's own peak (RUSAGE_SELF) and the largest child's
(RUSAGE_CHILDREN), never when they peaked nor their sum: a build whose parse workers peak
while the building process is small holds less than "own + workers", and a worker's pages
shared copy-on-write with the process that forked it (the interpreter, numpy, the Punkt
model) count in both RSS figures once each. PSS (/proc/PID/smaps_rollup) shares each such
page out between the processes mapping it, so the tree's PSS sum counts it once: that sum is
the memory the build really takes from the machine; the sum of RSS is an upper bound. PSS
also splits a library's pages with unrelated processes mapping the same file (another
Python on the machine), which flatters it: `tree_peak_own_mb` counts the anonymous PSS
summed and the file-backed pages once, whole (/proc/PID/status RssFile of the process that
maps most: the building process maps all its workers map), the figure to set beside a
one-process peak such as tantivy's.

    sampler = TreeSampler(); sampler.start(); ...; figures = sampler.stop()

Reading smaps_rollup costs the reader some system time (~2 ms a 100 MB process here): PSS
is read every tenth sample and whenever the RSS sum is within `near_mb` of its highest yet
(PSS never exceeds RSS, so the PSS peak is among them, give or take CoW sharing), RSS
(statm, cheap) at every sample. The sampler reports its own CPU seconds (`sampler_cpu_s`, time.thread_time) so a caller can
take them off the process's figure.
"""

from __future__ import annotations

import os
import threading
import time

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children(pid: int) -> list[int]:
    """The processes `pid`'s threads forked (Linux's /proc/PID/task/TID/children)."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def tree(pid: int) -> list[int]:
    """`pid` and its descendants, parents first."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(_children(p))
    return out


def rss_kb(pid: int) -> int | None:
    """RSS of `pid` in kB (statm: cheap), None once it has ended."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_KB
    except (OSError, ValueError, IndexError):
        return None


def rss_pss_kb(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) of `pid` in kB, None once it has ended."""
    got = _rollup(pid)
    return None if got is None else (got["Rss"], got["Pss"])


def _rollup(pid: int) -> dict[str, int] | None:
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss", "Pss_Anon"):
                    out[key] = int(rest.split()[0])
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssFile:"):
                    out["RssFile"] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return out if len(out) == 4 else None


def own_kb(pid: int) -> tuple[int, int, int, int] | None:
    """(RSS, PSS, anonymous PSS, file-backed RSS) of `pid` in kB, None once it has ended."""
    got = _rollup(pid)
    return None if got is None else (got["Rss"], got["Pss"], got["Pss_Anon"], got["RssFile"])


class TreeSampler:
    """RSS and PSS of this process and its descendants every `interval` seconds."""

    def __init__(self, interval: float = 0.015, pid: int | None = None, near_mb: float = 2) -> None:
        self.interval, self.pid, self.near_kb = interval, pid or os.getpid(), near_mb * 1024
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)
        self.started = 0.0
        self.samples = 0
        self.cpu = 0.0
        self.peak_rss = self.peak_pss = (0, 0.0, 0)  # (kB, seconds in, processes alive)
        self.peak_share = (0, 0.0, 0)  # anonymous PSS summed + file-backed RSS once
        self.peak_pss_parts: list[tuple[int, int, int]] = []  # (pid, RSS, PSS) at the PSS peak
        self.own: dict[int, tuple[int, float, int, float]] = {}  # pid -> peak RSS, when, peak PSS, when
        self.timeline: list[tuple[float, int, int, int]] = []  # every ~2 s: seconds, RSS, PSS sums, processes
        self.on_sample = None  # optional callable(seconds, rss_kb, pss_kb), from the sampling thread

    def start(self) -> TreeSampler:
        self.started = time.perf_counter()
        self.thread.start()
        return self

    def _run(self) -> None:
        last = -2.0
        while not self.done.is_set():
            now = time.perf_counter() - self.started
            pids = tree(self.pid)
            sizes = [(pid, rss_kb(pid)) for pid in pids]
            sizes = [(pid, r) for pid, r in sizes if r is not None]
            rss = sum(r for _, r in sizes)
            self.samples += 1
            # PSS (a walk of each process's pages, ~2 ms a large process) only where it can
            # peak: every tenth sample, and each one whose RSS sum is near the highest yet.
            if self.samples % 10 == 1 or rss >= self.peak_rss[0] - self.near_kb:
                full = [(pid, *got) for pid in pids if (got := own_kb(pid)) is not None]
                parts = [(pid, r, p) for pid, r, p, _, _ in full]
                # The tree's own memory: anonymous PSS summed (such pages are shared only within
                # the tree, copy-on-write) and file-backed pages once, whole (the libraries: their
                # PSS is also split with unrelated processes mapping the same files, which would
                # flatter the figure; the building process maps all its workers map).
                share = sum(f[3] for f in full) + max((f[4] for f in full), default=0)
                if share > self.peak_share[0]:
                    self.peak_share = (share, now, len(full))
            else:
                parts = [(pid, r, 0) for pid, r in sizes]
            pss = sum(p[2] for p in parts)
            if rss > self.peak_rss[0]:
                self.peak_rss = (rss, now, len(parts))
            if pss > self.peak_pss[0]:
                self.peak_pss = (pss, now, len(parts))
                self.peak_pss_parts = parts
            for pid, r, p in parts:
                p = p or self.own.get(pid, (0, 0.0, 0, 0.0))[2]  # PSS not read this time
                top = self.own.get(pid, (0, 0.0, 0, 0.0))
                self.own[pid] = (
                    *((r, now) if r > top[0] else top[:2]),
                    *((p, now) if p > top[2] else top[2:]),
                )
            if now - last >= 2 and pss:
                last = now
                self.timeline.append((round(now, 1), rss, pss, len(parts)))
            if self.on_sample is not None:
                self.on_sample(now, rss, pss)
            self.cpu = time.thread_time()
            self.done.wait(self.interval)

    def stop(self) -> dict:
        """End the sampling; the figures, in MB (2^20 bytes) and seconds since `start`."""
        self.done.set()
        self.thread.join()
        mb = 1024
        main = self.own.get(self.pid, (0, 0.0, 0, 0.0))
        others = {pid: v for pid, v in self.own.items() if pid != self.pid}
        return {
            "tree_peak_rss_mb": round(self.peak_rss[0] / mb, 1),
            "tree_peak_rss_at_s": round(self.peak_rss[1], 2),
            "tree_peak_pss_mb": round(self.peak_pss[0] / mb, 1),
            "tree_peak_pss_at_s": round(self.peak_pss[1], 2),
            "tree_peak_pss_processes": self.peak_pss[2],
            "tree_peak_own_mb": round(self.peak_share[0] / mb, 1),
            "tree_peak_own_at_s": round(self.peak_share[1], 2),
            "tree_peak_pss_parts_mb": [(round(r / mb, 1), round(p / mb, 1)) for _, r, p in self.peak_pss_parts],
            "main_peak_rss_mb": round(main[0] / mb, 1),
            "main_peak_rss_at_s": round(main[1], 2),
            "children_peak_rss_mb": sorted((round(v[0] / mb, 1) for v in others.values()), reverse=True),
            "children_peak_rss_at_s": [round(v[1], 2) for v in sorted(others.values(), reverse=True)],
            "children_peak_pss_mb": sorted((round(v[2] / mb, 1) for v in others.values()), reverse=True),
            "seconds": round(time.perf_counter() - self.started, 2),
            "samples": self.samples,
            "sampler_cpu_s": round(self.cpu, 3),
        }
