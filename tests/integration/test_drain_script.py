"""The drain script's awk filter, run for real, agrees with its Python twin."""

from __future__ import annotations

import subprocess

from kamalpy.commands import drain
from tests.unit.commands.test_small_builders import PROC_NET_TCP


def test_drain_awk_filter_agrees_with_python_twin() -> None:
    # The awk program is the part of the script that parses the table; run it on a sample.
    awk = "substr($2, length($2) - 4) == p && $4 == st { n++ } END { print n + 0 }"
    for port in (80, 8080, 443):
        out = subprocess.run(
            ["awk", "-v", f"p=:{port:04X}", "-v", "st=01", awk],
            input=PROC_NET_TCP, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert int(out) == drain.count_established(PROC_NET_TCP, port)
