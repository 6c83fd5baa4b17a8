"""Hostile argv tokens through the real ssh + sshd + login shell arrive byte-exact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamalpy.executor.ssh import SshExecutor
from tests.integration.executor.conftest import LocalSshd

TOKEN = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
HOSTILE = st.sampled_from(
    ["$(touch /tmp/kp-hyp-pwned)", "`touch /tmp/kp-hyp-pwned`", "'", '"', "\n", "\\", "$HOME",
     "*", ";", "|", "&&", "é😀", "-n", "--"]
)  # fmt: skip


@pytest.fixture(scope="module")
def executor() -> Iterator[SshExecutor]:
    with SshExecutor() as running:
        yield running


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tokens=st.lists(st.one_of(TOKEN, HOSTILE), max_size=6))
def test_tokens_survive_ssh_byte_exact(
    sshd: LocalSshd, executor: SshExecutor, tokens: list[str]
) -> None:
    out = executor.run(sshd.target("h1"), ["printf", "%s\\0", *tokens]).stdout
    expected = "".join(token + "\0" for token in tokens) if tokens else "\0"
    assert out == expected
    assert not Path("/tmp/kp-hyp-pwned").exists()
