"""Bring a bed up (cleaning leftovers first) and take it down again."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.testbed import cleanup, hosts, proc, registry
from tests.testbed.spec import (
    MAX_INDEX,
    Bed,
    BedSpec,
    Host,
    gateway_ip,
    make_host,
)
from tests.testbed.spec import data_dir as data_dir_of
from tests.testbed.spec import run_dir as run_dir_of
from tests.testbed.state import State, all_states, allocation_lock, load


def _say(message: str) -> None:
    print(f"testbed: {message}", file=sys.stderr, flush=True)


def reap_leftovers(prefix: str) -> None:
    """Tear down the bed `prefix` (a previous run) and every bed whose owner has died."""
    for state in all_states():
        if state.prefix == prefix or not state.owner_alive():
            _say(f"removing leftover bed {state.prefix}")
            for problem in cleanup.teardown(state):
                _say(f"  {problem}")
    if cleanup.leftovers(prefix):  # a state file lost in a crash: clean by name
        cleanup.teardown(State(prefix=prefix, index=-1, namespaces=_namespaces_named(prefix)))


def _namespaces_named(prefix: str) -> list[str]:
    netns = Path("/run/netns")
    if not netns.is_dir():
        return []
    return [entry.name for entry in netns.iterdir() if entry.name.startswith(f"{prefix}-")]


def _free_index(wanted: int | None) -> int:
    used = {state.index for state in all_states()}
    candidates = [wanted] if wanted is not None else range(MAX_INDEX + 1)
    for index in candidates:
        if index not in used and registry.port_free(registry.registry_port(index)):
            return index
    raise proc.BedError(f"no free bed index (wanted {wanted}); used: {sorted(used)}")


def allocate(spec: BedSpec, owner_pid: int | None) -> State:
    """Clean leftovers, pick an index, and save the initial state under the allocation lock."""
    with allocation_lock():
        reap_leftovers(spec.prefix)
        state = State(prefix=spec.prefix, index=_free_index(spec.index))
        if owner_pid is not None:
            state.owner_pid, state.owner_start = owner_pid, proc.start_time(owner_pid)
        state.save()
    return state


def up(spec: BedSpec, owner_pid: int | None = None) -> Bed:
    """Bring the bed up; on any failure or interrupt remove what was made, then re-raise."""
    state = allocate(spec, owner_pid)
    try:
        bed = _bring_up(spec, state)
        state.bed = bed.to_json()
        state.save()
    except BaseException:
        _say("bring-up interrupted or failed; tearing down")
        cleanup.teardown(state)
        raise
    return bed


def _bring_up(spec: BedSpec, state: State) -> Bed:
    run, data = run_dir_of(spec.prefix), data_dir_of(spec.prefix)
    for directory in (run, data):
        state.note("dirs", str(directory))
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = run / "id_ed25519"
    proc.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kamalpy-testbed", "-f", str(key)]
    )
    _say(f"starting registry for bed {spec.prefix} (index {state.index})")
    address, password = registry.start(state, run, data)
    hosts.make_bridge(state)
    bed_hosts = tuple(make_host(spec.prefix, state.index, n) for n in range(1, spec.hosts + 1))
    _start_hosts(state, bed_hosts, (run / "id_ed25519.pub").read_text())
    registry.wait_ready(address, run)
    registry.login_root(run / "docker-config", address, password)
    for host in bed_hosts:
        hosts.wait_ready(host, run)
    config = write_ssh_config(run, key, bed_hosts)
    return Bed(
        prefix=spec.prefix,
        index=state.index,
        hosts=bed_hosts,
        gateway=gateway_ip(state.index),
        ssh_key=str(key),
        ssh_config=str(config),
        registry=address,
        registry_user=registry.USER,
        registry_password=password,
        docker_config=str(run / "docker-config"),
        run_dir=str(run),
        data_dir=str(data),
    )


def _start_hosts(state: State, bed_hosts: tuple[Host, ...], public_key: str) -> None:
    """Create every host and start its daemons; readiness is awaited later, all at once."""
    run, data = run_dir_of(state.prefix), data_dir_of(state.prefix)
    for host in bed_hosts:
        _say(f"starting host {host.name} ({host.ip}, netns {host.namespace})")
        hosts.make_namespace(state, host)
        hosts.write_etc(state, host)
        hosts.make_home(host, public_key)
        hosts.start_daemons(state, host, run, data)


def write_ssh_config(run: Path, key: Path, bed_hosts: tuple[Host, ...]) -> Path:
    """ssh client config: `ssh -F <it> h1` (or the host's IP) logs in as root with the bed key."""
    blocks = []
    for host in bed_hosts:
        blocks.append(
            f"Host {host.name} {host.ip}\n"
            f"  HostName {host.ip}\n"
            "  User root\n"
            f"  IdentityFile {key}\n"
            "  IdentitiesOnly yes\n"
            "  StrictHostKeyChecking no\n"
            "  UserKnownHostsFile /dev/null\n"
            "  LogLevel ERROR\n"
            "  BatchMode yes\n"
        )
    path = run / "ssh_config"
    path.write_text("\n".join(blocks))
    return path


def down(prefix: str) -> list[str]:
    """Take bed `prefix` down (also a half-made one); return problems left behind."""
    with cleanup.signals_deferred(), allocation_lock():
        state = load(run_dir_of(prefix) / "state.json")
        if state is None:
            state = State(prefix=prefix, index=-1, namespaces=_namespaces_named(prefix))
        problems = cleanup.teardown(state)
    return problems + cleanup.leftovers(prefix)
