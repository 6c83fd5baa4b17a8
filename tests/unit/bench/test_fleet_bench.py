from __future__ import annotations

import pytest

from bench.bench_fleet import FLOOR, Subject, _with_base, service_names, summarise


def subjects(kamalpy: list[float], kamal: list[float], floor: list[float]) -> dict[str, Subject]:
    made = {name: Subject(name) for name in ("kamalpy", "kamal", "floor")}
    for name, seconds in (("kamalpy", kamalpy), ("kamal", kamal), ("floor", floor)):
        made[name].seconds += seconds
        made[name].sessions += [{"h1": 1, "h2": 1, "h3": 1}] * len(seconds)
    made["kamal"].sessions[-1] = {"h1": 10, "h2": 10, "h3": 10}
    return made


def test_ratios_are_paired_within_a_round_and_sessions_are_kamalpys() -> None:
    summary = summarise(subjects([10.0, 30.0], [100.0, 100.0], [8.0, 20.0]))
    assert summary["kamalpy_to_kamal"] == pytest.approx(0.2)  # median of 0.1 and 0.3
    assert summary["kamalpy_to_floor"] == pytest.approx(1.375)  # median of 1.25 and 1.5
    assert summary["kamalpy_to_floor_per_round"] == [1.25, 1.5]  # loads differ between rounds
    assert summary["ssh_sessions_per_host"] == 1


def test_rounds_must_pair_up() -> None:
    with pytest.raises(ValueError):
        summarise(subjects([10.0], [100.0, 100.0], [8.0]))


def test_the_base_image_becomes_a_build_arg() -> None:
    text = "service: x\nbuilder:\n  arch: amd64\nssh:\n  config: c\n"
    assert _with_base(text, "img:1") == (
        "service: x\nbuilder:\n  arch: amd64\n  args:\n    BASE: img:1\nssh:\n  config: c\n"
    )


def test_ten_services_and_a_floor_that_stops_the_old_one() -> None:
    assert service_names(10)[::9] == ["fleet00", "fleet09"]
    assert "docker stop -t 5" in FLOOR and "docker pull -q" in FLOOR
