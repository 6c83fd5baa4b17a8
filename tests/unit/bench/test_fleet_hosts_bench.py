"""bench/fleet.py's pure parts: the ssh client options a run adds for every host."""

from __future__ import annotations

from pathlib import Path

from bench.fleet import Fleet, with_ssh_options


def test_ssh_options_go_in_a_host_star_block_after_the_fleets_own_config(tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host h1\n  HostName 10.0.0.1\n")
    fleet = Fleet("kf1", (), str(config), str(tmp_path))
    changed = with_ssh_options(fleet, ["KexAlgorithms=curve25519-sha256", "Compression=no"])
    assert Path(changed.ssh_config).read_text() == (
        "Host h1\n  HostName 10.0.0.1\n"
        "\nHost *\n  KexAlgorithms curve25519-sha256\n  Compression no\n"
    )
    assert config.read_text() == "Host h1\n  HostName 10.0.0.1\n"  # the original is kept
    assert with_ssh_options(fleet, []) is fleet
