"""A private ssh-agent for one run, holding the keys deploy.yml gives as data (`ssh.key_data`).

The system ssh client reads keys from files or an agent, never from argv. Writing the key to
disk would leave it behind on a crash, so it goes to an agent of our own through `ssh-add -`'s
stdin; ssh finds the agent through SSH_AUTH_SOCK, and each key's PUBLIC half is written as an
`IdentityFile` so that `IdentitiesOnly` (ssh.keys_only) still offers it.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from kamalpy.errors import UsageError
from kamalpy.executor.process import ProcessRunner
from kamalpy.executor.retry import poll_until
from kamalpy.sensitive import Sensitive

NamedKey = tuple[str, Sensitive]  # (secret name, private key text)
_NO_AGENT = "ssh.key_data needs ssh-agent, which did not start"
_INSTALL = "install openssh-client (it has ssh, ssh-agent and ssh-add)"


class PrivateAgent:
    """`ssh-agent -D` on a socket in a private directory, stopped with the executor."""

    def __init__(self, directory: str, keys: Sequence[NamedKey], runner: ProcessRunner) -> None:
        self._directory = Path(directory)
        self._keys = tuple(keys)
        self._runner = runner
        self._process: subprocess.Popen[bytes] | None = None
        self.socket = str(self._directory / "agent.sock")
        self.identity_files: tuple[str, ...] = ()

    @property
    def env(self) -> dict[str, str]:
        """What an ssh client needs to find this agent."""
        return {"SSH_AUTH_SOCK": self.socket}

    def start(self) -> None:
        """Start the agent and load every key; UsageError naming the key that was refused."""
        try:
            self._process = subprocess.Popen(
                ["ssh-agent", "-D", "-a", self.socket],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # ^C at the terminal goes to us, not to the agent
            )
        except FileNotFoundError:
            raise UsageError(_NO_AGENT, hint=_INSTALL) from None
        if not poll_until(lambda: os.path.exists(self.socket), interval=0.01, timeout=10):
            self.stop()
            raise UsageError(_NO_AGENT, hint=_INSTALL)
        for number, (name, key) in enumerate(self._keys):
            self._add(name, key)
            self.identity_files += (self._public_half(number, name),)

    def _add(self, name: str, key: Sensitive) -> None:
        text = key.reveal().replace("\r\n", "\n").strip() + "\n"  # ssh-add wants the final newline
        added = self._runner(["ssh-add", "-q", "-"], stdin=text.encode(), env=self.env, timeout=30)
        if added.exit_status != 0:
            raise UsageError(
                f"ssh.key_data: secret {name} is not a private key ssh-add accepts "
                f"({added.stderr.decode(errors='replace').strip() or 'no detail'})",
                hint="store the whole key file, from -----BEGIN to -----END, without a passphrase",
            )

    def _public_half(self, number: int, name: str) -> str:
        """The newest key's public half as a file: `IdentityFile` accepts a .pub with an agent."""
        listed = self._runner(["ssh-add", "-L"], env=self.env, timeout=30)
        lines = listed.stdout.decode(errors="replace").splitlines()
        if listed.exit_status != 0 or len(lines) <= number:
            raise UsageError(f"ssh.key_data: the agent does not list secret {name}'s key")
        path = self._directory / f"key-data-{number}.pub"
        path.write_text(lines[number] + "\n")
        path.chmod(0o600)
        return str(path)

    def stop(self) -> None:
        """Stop the agent (it forgets every key); the caller removes the directory."""
        if self._process is None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
