from __future__ import annotations

from pathlib import Path

import pytest

from bench.bench_deploy import SAME_KEX_AS_KAMAL, Subject
from bench.cpu_caps import CpuCaps
from bench.deploy_report import paired, summarise

SUBJECT_NAMES = ("kamal", "kamalpy", "kamal_1_host", "kamalpy_1_host", "floor", "floor_1_host")


def subjects(seconds: dict[str, list[float]]) -> list[Subject]:
    made = []
    for name in SUBJECT_NAMES:
        subject = Subject(name, name.split("_")[0], Path("."), ("h1",))
        subject.seconds += seconds[name]
        subject.cpu_seconds += [0.1] * len(seconds[name])
        subject.sessions += [{"h1": 1}] * len(seconds[name])
        made.append(subject)
    return made


def test_paired_ratios_compare_samples_of_the_same_round() -> None:
    # Round 2 ran under load for both: pairing cancels it, medians of each side would not.
    by_name = {s.name: s for s in subjects({n: [1.0, 3.0, 1.0] for n in SUBJECT_NAMES})}
    by_name["kamalpy"].seconds[:] = [1.1, 3.3, 1.1]
    assert paired(by_name, "kamalpy", "kamalpy_1_host") == pytest.approx(1.1)


def test_summary_reports_the_three_targets_from_medians() -> None:
    times = {n: [2.0, 2.0, 2.0] for n in SUBJECT_NAMES}
    times["kamal"] = [4.0, 4.0, 4.0]
    times["kamalpy"] = [2.4, 2.6, 2.5]
    report = summarise(subjects(times))
    assert report["ratio_kamalpy_to_kamal"] == 0.625
    assert report["kamalpy_3_hosts_vs_1_host"] == 1.25
    assert report["kamalpy_ssh_sessions_per_host_max"] == 1


def test_the_tools_share_kamals_key_exchange_unless_asked_otherwise() -> None:
    lines = [line.strip() for line in SAME_KEX_AS_KAMAL.strip().splitlines()]
    assert lines == ["Host *", "KexAlgorithms curve25519-sha256"]


def test_capped_tools_join_their_group_before_they_start() -> None:
    caps = CpuCaps(0.5, 0.5, Path("/sys/fs/cgroup/cpu/g/cgroup.procs"))
    argv = caps.local_argv(["kamal", "deploy"])
    assert argv == ["sh", "-c", 'echo $$ > "$0" && exec "$@"',
                    "/sys/fs/cgroup/cpu/g/cgroup.procs", "kamal", "deploy"]  # fmt: skip
