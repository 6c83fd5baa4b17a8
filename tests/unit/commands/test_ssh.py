from __future__ import annotations

import pytest

from kamalpy.commands.ssh import (
    SshSettings,
    proxy_host_name,
    remote_command,
    settings_from_config,
    ssh_argv,
    ssh_control_argv,
    ssh_options,
)
from kamalpy.config.model import Ssh

AUTOMATION = (
    "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5",
    "-o", "ServerAliveInterval=4", "-o", "ServerAliveCountMax=3",
)  # fmt: skip


@pytest.mark.parametrize(
    ("settings", "expected_head"),
    [
        (SshSettings(), ()),
        (SshSettings(user="deploy"), ("-o", "User=deploy")),
        (SshSettings(port=2222), ("-o", "Port=2222")),
        (SshSettings(proxy="root@bastion:2200"), ("-o", "ProxyJump=root@bastion:2200")),
        (
            SshSettings(proxy="bastion", proxy_command="nc -X connect %h %p"),
            ("-o", "ProxyCommand=nc -X connect %h %p"),
        ),
        (
            SshSettings(keys=("~/.ssh/a", "/k/b"), keys_only=True),
            ("-i", "~/.ssh/a", "-i", "/k/b", "-o", "IdentitiesOnly=yes"),
        ),
        (SshSettings(config_file="/etc/kp/ssh_config"), ("-F", "/etc/kp/ssh_config")),
        (SshSettings(use_config=False, config_file="/x"), ("-F", "/dev/null")),
        (
            SshSettings(options=(("StrictHostKeyChecking", "no"),), user="u"),
            ("-o", "StrictHostKeyChecking=no", "-o", "User=u"),
        ),
    ],
)
def test_settings_map_to_ssh_options_before_the_automation_defaults(
    settings: SshSettings, expected_head: tuple[str, ...]
) -> None:
    assert ssh_options(settings) == (*expected_head, *AUTOMATION)


@pytest.mark.parametrize(
    ("level", "expected"),
    [("debug", "DEBUG"), ("INFO", "INFO"), ("warn", "ERROR"), ("fatal", "ERROR"), (None, "ERROR")],
)
def test_kamal_log_levels_map_to_openssh_levels(level: str | None, expected: str) -> None:
    options = ssh_options(SshSettings(log_level=level))
    assert f"LogLevel={expected}" in options


def test_no_connect_timeout_leaves_the_option_out() -> None:
    options = ssh_options(SshSettings(connect_timeout=None))
    assert not any(option.startswith("ConnectTimeout") for option in options)


def test_control_dir_adds_one_multiplexed_master_per_host() -> None:
    options = ssh_options(SshSettings(control_persist=60), "/tmp/kp-x")
    assert options[-6:] == (
        "-o", "ControlMaster=auto", "-o", "ControlPath=/tmp/kp-x/%C", "-o", "ControlPersist=60",
    )  # fmt: skip


def test_ssh_argv_quotes_the_remote_command_once_after_the_destination() -> None:
    argv = ssh_argv(SshSettings(user="root"), "10.0.0.1", ["echo", "a b", "$(id)", "it's"])
    assert argv == (
        "ssh", "-o", "User=root", *AUTOMATION, "--", "10.0.0.1",
        "echo 'a b' '$(id)' 'it'\"'\"'s'",
    )  # fmt: skip


def test_a_host_that_looks_like_an_option_stays_a_destination() -> None:
    argv = ssh_argv(SshSettings(), "-oProxyCommand=evil", ["true"])
    assert argv[-3:] == ("--", "-oProxyCommand=evil", "true")


def test_remote_command_refuses_an_empty_argv() -> None:
    with pytest.raises(ValueError) as refused:
        remote_command([])
    assert str(refused.value) == "a remote command needs at least one token"


@pytest.mark.parametrize("operation", ["check", "exit", "stop"])
def test_control_argv_talks_to_the_master(operation: str) -> None:
    argv = ssh_control_argv(SshSettings(), "h1", operation, control_dir="/d")
    assert argv[0] == "ssh"
    assert argv[-4:] == ("-O", operation, "--", "h1")
    assert "ControlPath=/d/%C" in argv


def test_control_argv_rejects_unknown_operations() -> None:
    with pytest.raises(ValueError, match="unknown ssh control operation"):
        ssh_control_argv(SshSettings(), "h1", "forward", control_dir="/d")


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (Ssh(), SshSettings(user="root", log_level="fatal")),
        (
            Ssh(user="app", port=2222, proxy="root@jump", keys=("k",), keys_only=True),
            SshSettings(user="app", port=2222, proxy="root@jump", keys=("k",), keys_only=True,
                        log_level="fatal"),
        ),
        (Ssh(config=False), SshSettings(user="root", use_config=False, log_level="fatal")),
        (Ssh(config=("/a", "/b")), SshSettings(user="root", config_file="/a", log_level="fatal")),
        (Ssh(proxy_command="nc %h %p"), SshSettings(user="root", proxy_command="nc %h %p",
                                                    log_level="fatal")),
    ],
)  # fmt: skip
def test_deploy_yml_ssh_section_maps_to_settings(section: Ssh, expected: SshSettings) -> None:
    assert settings_from_config(section) == expected


def test_ssh_argv_with_a_terminal_asks_for_one_before_the_destination() -> None:
    argv = ssh_argv(
        SshSettings(user="root"), "10.0.0.1", ["docker", "exec", "-it", "c", "sh"], tty=True
    )
    assert argv == (
        "ssh", "-o", "User=root", *AUTOMATION, "-t", "--", "10.0.0.1", "docker exec -it c sh",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("proxy", "host", "expected_proxy"),
    [
        ("10.0.0.1", "10.0.0.1", None),  # the bastion serves too: straight to it
        ("root@10.0.0.1", "10.0.0.1", None),
        ("deploy@10.0.0.1:2222", "10.0.0.1", None),
        ("root@[2001:db8::1]:22", "2001:db8::1", None),
        ("root@10.0.0.1", "10.0.0.2", "root@10.0.0.1"),  # the others still jump through it
        ("bastion.example.com", "10.0.0.2", "bastion.example.com"),
        ("root@10.0.0.11", "10.0.0.1", "root@10.0.0.11"),
    ],
)
def test_a_proxy_that_is_also_a_server_is_reached_directly(
    proxy: str, host: str, expected_proxy: str | None
) -> None:
    settings = settings_from_config(Ssh(proxy=proxy), host)
    assert settings.proxy == expected_proxy
    assert ("ProxyJump" in " ".join(ssh_argv(settings, host, ["true"]))) == bool(expected_proxy)


def test_every_option_adds_to_the_others_in_a_fixed_order() -> None:
    settings = SshSettings(
        config_file="/c", options=(("A", "1"), ("B", "2")), user="u", port=2222,
        proxy="j", keys=("/k",), keys_only=True,
    )  # fmt: skip
    assert ssh_options(settings) == (
        "-F", "/c", "-o", "A=1", "-o", "B=2", "-o", "User=u", "-o", "Port=2222",
        "-o", "ProxyJump=j", "-i", "/k", "-o", "IdentitiesOnly=yes", *AUTOMATION,
    )  # fmt: skip
    command = SshSettings(use_config=False, user="u", proxy_command="nc %h %p")
    assert ssh_options(command)[:6] == (
        "-F", "/dev/null", "-o", "User=u", "-o", "ProxyCommand=nc %h %p",
    )  # fmt: skip


def test_ssh_argv_shares_the_master_when_given_a_control_dir() -> None:
    argv = ssh_argv(SshSettings(), "h1", ["true"], control_dir="/d")
    assert argv == (
        "ssh", *AUTOMATION,
        "-o", "ControlMaster=auto", "-o", "ControlPath=/d/%C", "-o", "ControlPersist=300",
        "--", "h1", "true",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("proxy", "host"),
    [
        ("bastion", "bastion"),
        ("u@bastion:2222", "bastion"),
        ("a@b@bastion", "bastion"),  # the last @ ends the user part
        ("[2001:db8::1]:22", "2001:db8::1"),
        ("u@[::1]", "::1"),
        ("[a]b]", "a"),
        ("x]y:22", "x]y"),
        ("2001:db8::1", "2001:db8::1"),  # bare IPv6: its colons are not a port
    ],
)
def test_proxy_host_name(proxy: str, host: str) -> None:
    assert proxy_host_name(proxy) == host
