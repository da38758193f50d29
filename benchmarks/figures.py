"""How every benchmark prints a target: the figure, the target beside it, the anchor (what
the issue measured before the work), and OK or MISSED. Medians of interleaved runs: the
machine is shared, so a best-of would flatter and a single run would lie."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str
    figure: float
    limit: float
    unit: str
    anchor: str

    @property
    def met(self) -> bool:
        return self.figure <= self.limit

    def line(self) -> str:
        verdict = "OK" if self.met else "MISSED"
        return (
            f"target {self.name}: {self.figure:.2f}{self.unit} ≤ {self.limit:g}{self.unit} → {verdict}"
            f"   (anchor: {self.anchor})"
        )


def report(targets: Sequence[Target]) -> int:
    """Print every target; 1 when any was missed."""
    cores, load = os.cpu_count() or 1, os.getloadavg()[0]
    print(f"(machine: {cores} cores, load average {load:.1f} over the last minute)")
    for target in targets:
        print(target.line())
    return 0 if all(t.met for t in targets) else 1


def children_cpu() -> float:
    """CPU seconds (user + system) of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(command: Sequence[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole process, start-up included; output discarded. The
    CPU figure is printed beside the wall one: on a machine other jobs share it shows what
    the process itself cost when the wall clock mostly measured the queue for a core."""
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started, children_cpu() - cpu


def interleaved_medians(commands: dict[str, Sequence[str]], rounds: int) -> dict[str, tuple[float, float]]:
    """Each round runs every command once, in turn, so load from other processes falls on
    all of them alike; the median (wall, CPU) of each over the rounds."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            times[name].append(wall(command))
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in times.items()
    }
