"""The remote command string survives the remote shell: sshd runs it with `$SHELL -c`."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamalpy.commands.ssh import remote_command

# Any text a token can hold in argv: everything but NUL (and lone surrogates, not encodable).
TOKEN = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
HOSTILE = st.sampled_from(["'", '"', "$(id)", "`id`", "\n", "\\", "$HOME", "*", ";", "&&", "é😀"])


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash"])
@settings(max_examples=150, deadline=None)
@given(tokens=st.lists(st.one_of(TOKEN, HOSTILE), min_size=0, max_size=8))
def test_joined_command_yields_back_exactly_the_tokens(shell: str, tokens: list[str]) -> None:
    script = remote_command(["printf", "%s\\0", *tokens])
    done = subprocess.run([shell, "-c", script], capture_output=True, check=True, timeout=10)
    expected = b"".join(token.encode() + b"\0" for token in tokens) if tokens else b"\0"
    assert done.stdout == expected
