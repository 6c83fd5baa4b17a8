"""Pure parts of the test bed: names, addresses and the ssh argv (no processes)."""

from __future__ import annotations

import shlex

import pytest

from tests.testbed.images import VARIANTS, app_files
from tests.testbed.spec import Bed, BedSpec, SpecError, make_host, session_prefix


@pytest.mark.parametrize("prefix", ["", "Kp", "kp-1", "toolongpx", "1kp"])
def test_prefix_that_cannot_name_interfaces_is_refused(prefix: str) -> None:
    with pytest.raises(SpecError, match="prefix"):
        BedSpec(prefix=prefix)


def test_hosts_of_one_bed_get_distinct_addresses_and_engines() -> None:
    hosts = [make_host("kp", 4, n) for n in (1, 2, 3)]
    assert [h.ip for h in hosts] == ["10.231.4.11", "10.231.4.12", "10.231.4.13"]
    assert [h.namespace for h in hosts] == ["kp-h1", "kp-h2", "kp-h3"]
    assert len({h.docker_socket for h in hosts}) == len({h.docker_bip for h in hosts}) == 3
    assert len({h.docker_pool for h in hosts}) == len({h.home for h in hosts}) == 3


def test_pytest_prefix_is_short_enough_for_interface_names() -> None:
    prefix = session_prefix(4194304)  # the largest pid Linux hands out
    assert BedSpec(prefix=prefix).prefix == prefix
    assert len(f"{prefix}-h9p") <= 15


def test_ssh_argv_quotes_the_remote_command_once() -> None:
    host = make_host("kp", 0, 1)
    bed = Bed("kp", 0, (host,), "10.231.0.1", "k", "cfg", "127.0.0.1:5000", "u", "p", "d", "r", "x")
    argv = bed.ssh_argv("h1", ["docker", "run", "-e", "A=a b;$X"])
    assert argv[:5] == ["ssh", "-F", "cfg", "h1", "--"]
    assert shlex.split(argv[5]) == ["docker", "run", "-e", "A=a b;$X"]
    assert Bed.from_json(bed.to_json()) == bed


def test_only_bad_up_lacks_the_up_endpoint() -> None:
    lacking = [v for v in VARIANTS if "www/up" not in app_files(v)]
    assert lacking == ["bad-up"]
    assert all(app_files(v)["www/version"] == f"{v}\n" for v in VARIANTS)
