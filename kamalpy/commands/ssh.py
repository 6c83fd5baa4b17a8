"""Pure builders for the system `ssh` client: settings -> `-o` options -> argv."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from kamalpy.config.model import Ssh

# How long a silent host may take to be declared lost, with the defaults below and the
# executor's connection budget (RetryPolicy.within).
LOST_WITHIN = 20

# Kamal's ssh.log_level names (net-ssh levels) mapped to OpenSSH's LogLevel values. Never
# quieter than ERROR: ssh's own error line is what names the cause of an unreachable host.
_LOG_LEVELS = {"debug": "DEBUG", "info": "INFO"}


@dataclass(frozen=True)
class SshSettings:
    """How to reach a host over ssh; None means "leave it to the user's ~/.ssh/config"."""

    user: str | None = None
    port: int | None = None
    proxy: str | None = None  # jump host: [user@]host[:port], becomes ProxyJump
    proxy_command: str | None = None
    keys: tuple[str, ...] = ()
    keys_only: bool = False
    config_file: str | None = None  # -F path; None reads the user's default config
    use_config: bool = True  # False ignores ~/.ssh/config entirely (-F /dev/null)
    log_level: str | None = None
    # A silent host is declared lost within LOST_WITHIN seconds (docs/executor.md): a connect
    # that gets no answer gives up after connect_timeout (the executor retries within its own
    # budget), a connection that stops answering after alive_interval * alive_count.
    connect_timeout: int | None = 5
    alive_interval: int = 4
    alive_count: int = 3
    control_persist: int = 300  # seconds an idle multiplexed connection stays up
    options: tuple[tuple[str, str], ...] = ()  # extra `-o Key=Value`, they win over ours


def proxy_host_name(proxy: str) -> str:
    """The host a jump-host spec names: `user@10.0.0.1:2222` -> `10.0.0.1`."""
    host = proxy.rsplit("@", 1)[-1]
    if host.startswith("[") and "]" in host:
        return host[1 : host.index("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def settings_from_config(ssh: Ssh, host: str | None = None) -> SshSettings:
    """Map deploy.yml's `ssh` section to ssh client settings for `host`.

    A bastion that also serves (`ssh.proxy` names a host that is in `servers`) is reached
    directly, as Kamal does: OpenSSH would refuse to jump through a host to itself.
    """
    proxy = ssh.proxy
    if proxy and host is not None and proxy_host_name(proxy) == host:
        proxy = None
    if ssh.config is False:
        use_config, config_file = False, None
    elif isinstance(ssh.config, tuple) and ssh.config:
        # ssh reads one -F file; a list in deploy.yml names the first as the one to use.
        use_config, config_file = True, ssh.config[0]
    else:
        use_config, config_file = True, None
    return SshSettings(
        user=ssh.user,
        # 22 is Kamal's default; leaving it out lets a Port in ~/.ssh/config apply.
        port=ssh.port if ssh.port != 22 else None,
        proxy=proxy,
        proxy_command=ssh.proxy_command,
        keys=ssh.keys,
        keys_only=bool(ssh.keys_only),
        config_file=config_file,
        use_config=use_config,
        log_level=ssh.log_level,
    )


def ssh_options(settings: SshSettings, control_dir: str | None = None) -> tuple[str, ...]:
    """The ssh command-line options for these settings (first value of an option wins in ssh)."""
    args: list[str] = []
    if not settings.use_config:
        args += ["-F", "/dev/null"]
    elif settings.config_file:
        args += ["-F", settings.config_file]
    for key, value in settings.options:
        args += ["-o", f"{key}={value}"]
    if settings.user:
        args += ["-o", f"User={settings.user}"]
    if settings.port:
        args += ["-o", f"Port={settings.port}"]
    if settings.proxy_command:
        args += ["-o", f"ProxyCommand={settings.proxy_command}"]
    elif settings.proxy:
        args += ["-o", f"ProxyJump={settings.proxy}"]
    for key in settings.keys:
        args += ["-i", key]
    if settings.keys_only:
        args += ["-o", "IdentitiesOnly=yes"]
    args += _automation_options(settings)
    if control_dir:
        args += _multiplexing_options(settings, control_dir)
    return tuple(args)


def _automation_options(settings: SshSettings) -> list[str]:
    """Options that make ssh fit unattended use: no prompts, quiet, bounded connect."""
    level = _LOG_LEVELS.get((settings.log_level or "error").lower(), "ERROR")
    args = ["-o", "BatchMode=yes", "-o", f"LogLevel={level}"]
    if settings.connect_timeout:
        args += ["-o", f"ConnectTimeout={settings.connect_timeout}"]
    # Keep-alives let a dead host (link down, no RST) surface as exit 255 instead of a hang.
    args += ["-o", f"ServerAliveInterval={settings.alive_interval}"]
    args += ["-o", f"ServerAliveCountMax={settings.alive_count}"]
    return args


def _multiplexing_options(settings: SshSettings, control_dir: str) -> list[str]:
    """One master connection per host, shared by every command of the run."""
    return [
        "-o",
        "ControlMaster=auto",
        "-o",
        f"ControlPath={control_dir}/%C",
        "-o",
        f"ControlPersist={settings.control_persist}",
    ]


def remote_command(remote_argv: Sequence[str]) -> str:
    """The one place argv becomes a shell string: sshd runs it with the user's shell."""
    if not remote_argv:
        raise ValueError("a remote command needs at least one token")
    return shlex.join(remote_argv)


def ssh_argv(
    settings: SshSettings,
    host: str,
    remote_argv: Sequence[str],
    *,
    control_dir: str | None = None,
    tty: bool = False,
) -> tuple[str, ...]:
    """Full argv to run `remote_argv` on `host`, quoted exactly once (`-t`: with a terminal)."""
    options = ssh_options(settings, control_dir)
    terminal = ("-t",) if tty else ()
    return ("ssh", *options, *terminal, "--", host, remote_command(remote_argv))


def ssh_control_argv(
    settings: SshSettings, host: str, operation: str, *, control_dir: str
) -> tuple[str, ...]:
    """Argv to ask the master connection for `host` to `check` or `exit`."""
    if operation not in {"check", "exit", "stop"}:
        raise ValueError(f"unknown ssh control operation {operation!r}")
    return ("ssh", *ssh_options(settings, control_dir), "-O", operation, "--", host)
