"""The deploy benchmark's report: medians, paired ratios, targets, and a table for people."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.bench_deploy import Subject

TARGETS = {
    "ratio_kamalpy_to_kamal": 0.6,
    "ssh_sessions_per_host": 1,
    "kamalpy_3_hosts_vs_1_host": 1.3,
}


def paired(subjects: dict[str, Subject], top: str, bottom: str) -> float:
    """Median over rounds of top/bottom within the same round (cancels slow load drift)."""
    pairs = zip(subjects[top].seconds, subjects[bottom].seconds, strict=True)
    return round(statistics.median(a / b for a, b in pairs), 3)


def summarise(subjects: list[Subject]) -> dict[str, object]:
    """Medians, samples, sessions and the three target ratios."""
    by_name = {s.name: s for s in subjects}
    median = {s.name: statistics.median(s.seconds) for s in subjects}
    kamalpy_sessions = by_name["kamalpy"].sessions
    return {
        "subjects": {
            s.name: {
                "median_seconds": round(median[s.name], 3),
                "seconds": [round(x, 3) for x in s.seconds],
                "median_cpu_seconds": round(statistics.median(s.cpu_seconds), 3),
                "ssh_sessions_per_host_per_deploy": s.sessions,
                "hosts": list(s.hosts),
            }
            for s in subjects
        },
        "ratio_kamalpy_to_kamal": round(median["kamalpy"] / median["kamal"], 3),
        "kamalpy_ssh_sessions_per_host_max": max(max(d.values()) for d in kamalpy_sessions),
        "kamalpy_3_hosts_vs_1_host": round(median["kamalpy"] / median["kamalpy_1_host"], 3),
        "paired_ratio_kamalpy_to_kamal": paired(by_name, "kamalpy", "kamal"),
        "paired_kamalpy_3_hosts_vs_1_host": paired(by_name, "kamalpy", "kamalpy_1_host"),
        "paired_kamal_3_hosts_vs_1_host": paired(by_name, "kamal", "kamal_1_host"),
        "paired_floor_3_hosts_vs_1_host": paired(by_name, "floor", "floor_1_host"),
        # What 2 more hosts add, in seconds: the bed's hosts share this machine's CPUs, so a
        # tool with less fixed overhead shows a higher 3/1 ratio for the same added work.
        "added_seconds_3_vs_1_host": {
            "kamalpy": round(median["kamalpy"] - median["kamalpy_1_host"], 3),
            "kamal": round(median["kamal"] - median["kamal_1_host"], 3),
            "floor": round(median["floor"] - median["floor_1_host"], 3),
        },
        "targets": TARGETS,
    }


def print_table(report: dict[str, object]) -> None:
    """A small table for people."""
    subjects = report["subjects"]
    assert isinstance(subjects, dict)
    print(f"{'subject':19} {'median':>7} {'cpu':>6}  samples (s)")
    for name, values in subjects.items():
        samples = " ".join(f"{x:.2f}" for x in values["seconds"])
        median, cpu = values["median_seconds"], values["median_cpu_seconds"]
        print(f"{name:19} {median:6.2f}s {cpu:5.2f}s  {samples}")
    r = report
    print(
        f"kamalpy / Kamal wall time:  {r['ratio_kamalpy_to_kamal']:.2f} of medians, "
        f"{r['paired_ratio_kamalpy_to_kamal']:.2f} paired by round  (target <= 0.6)"
    )
    print(
        f"kamalpy ssh sessions/host/deploy: max {r['kamalpy_ssh_sessions_per_host_max']}"
        "  (target 1)"
    )
    print(
        f"kamalpy 3 hosts / 1 host:   {r['kamalpy_3_hosts_vs_1_host']:.2f} of medians, "
        f"{r['paired_kamalpy_3_hosts_vs_1_host']:.2f} paired  (target <= 1.3); "
        f"Kamal's own: {r['paired_kamal_3_hosts_vs_1_host']:.2f}, "
        f"the floor's: {r['paired_floor_3_hosts_vs_1_host']:.2f} paired"
    )
    added = r["added_seconds_3_vs_1_host"]
    assert isinstance(added, dict)
    print(
        f"2 more hosts add: kamalpy {added['kamalpy']:.2f}s, Kamal {added['kamal']:.2f}s, "
        f"floor {added['floor']:.2f}s"
    )
