"""The deploy lock's details, holder and staleness rules (pure)."""

from __future__ import annotations

import base64

import pytest

from kamalpy.commands import lock
from kamalpy.commands.lock import Holder

ME = Holder("ann", "ci-1", 4242, "9000", "boot-a", "4026531836", "kamalpy deploy")


def holder(**changes: object) -> Holder:
    fields = {**ME.__dict__, "pid": 77, "started": "500", **changes}
    return Holder(**fields)  # type: ignore[arg-type]


def details(who: Holder | None) -> str:
    return lock.details_text(
        performer="bob", recorded_at="T", version="v2", message="deploy v2", holder=who
    )


def test_details_keep_kamals_three_lines_first_and_round_trip_the_holder() -> None:
    text = details(holder())
    assert text.splitlines()[:3] == ["Locked by: bob at T", "Version: v2", "Message: deploy v2"]
    assert lock.parse_holder(text) == holder()
    assert lock.parse_holder(details(None)) is None  # Kamal's lock, or `lock acquire` by hand


@pytest.mark.parametrize(
    ("who", "alive", "age", "expected"),
    [
        (holder(), False, 1, "pid 77 on ci-1 is gone"),
        (holder(), True, 1, None),  # alive, fresh heartbeat
        (holder(), True, 121, "pid 77 on ci-1 sent no heartbeat for 121s (limit 120s)"),
        (holder(boot_id="boot-b"), True, 1, "pid 77 on ci-1 ran before ci-1 restarted"),
        # another pid namespace (a container) cannot see the pid: only the heartbeat counts
        (holder(pid_namespace="999"), False, 1, None),
        (holder(machine="laptop"), False, 5, None),  # another machine: only the heartbeat
        (holder(machine="laptop"), False, None, None),  # no heartbeat file: never by age
        (None, False, 10_000, None),  # a lock without holder is never stale
    ],
    ids=["gone", "live", "silent", "rebooted", "other-pidns", "other-machine", "no-beat", "manual"],
)
def test_stale_reason(who: Holder | None, alive: bool, age: int | None, expected: str) -> None:
    seen: list[tuple[int, str]] = []

    def running(pid: int, started: str) -> bool:
        seen.append((pid, started))
        return alive

    reason = lock.stale_reason(details(who), age, ME, running=running, stale_after=120)
    assert reason == expected
    if expected == "pid 77 on ci-1 is gone":
        assert seen == [(77, "500")]  # the pid AND its start time: a reused pid is not alive


def test_inspect_output_parses_stored_details_and_age() -> None:
    stored = lock.encode(details(holder()))
    seen = lock.parse_inspect(f"{stored}\n\n12\n")
    assert seen == lock.Inspected(stored, 12)
    assert lock.parse_holder(seen.details) == holder()
    assert lock.parse_inspect("\n-\n") == lock.Inspected("", None)


def test_builders_pass_paths_and_details_as_arguments_never_in_the_script() -> None:
    text = details(holder())
    encoded = base64.b64encode(text.encode()).decode()
    assert lock.acquire_argv("hey", "prod", text)[3:] == (
        "kamalpy-lock",
        ".kamal/lock-hey-prod",
        encoded,
    )
    assert lock.takeover_argv("hey", None, text, "OLD")[3:] == (
        "kamalpy-lock", ".kamal/lock-hey", encoded, "OLD",
    )  # fmt: skip
    assert lock.release_own_argv("hey", None, text)[-1] == encoded
    assert lock.heartbeat_argv("hey", None, text)[-1] == encoded


@pytest.mark.parametrize(
    ("line", "pidns", "command"),
    [
        ("Holder: user=a machine=m pid=1 started=2 boot=b pidns=n\nCommand: kamalpy deploy -d x",
         "n", "kamalpy deploy -d x"),
        ("Holder: user=a machine=m pid=1 started=2 boot=b", "", ""),  # older kamalpy: no pidns
        ("Holder: user=a machine=m=2 pid=1 started=2 boot=b=c pidns=", "", ""),
    ],
)  # fmt: skip
def test_parse_holder_reads_each_field_up_to_the_first_equals_sign(
    line: str, pidns: str, command: str
) -> None:
    holder = lock.parse_holder("Locked by: a at T\n" + line)
    assert holder is not None
    assert (holder.pid_namespace, holder.command) == (pidns, command)
    if "m=2" in line:
        assert (holder.machine, holder.boot_id) == ("m=2", "b=c")


def test_a_heartbeat_exactly_at_the_limit_is_not_stale_yet() -> None:
    other = lock.details_text(performer="bob", recorded_at="T", version="v", message="m",
                              holder=Holder("bob", "elsewhere", 7, "1", "b", "n", "c"))  # fmt: skip
    reason = lock.stale_reason(other, 30, ME, running=lambda pid, started: True, stale_after=30)
    assert reason is None
    reason = lock.stale_reason(other, 31, ME, running=lambda pid, started: True, stale_after=30)
    assert reason == "pid 7 on elsewhere sent no heartbeat for 31s (limit 30s)"


def test_an_empty_inspect_answer_has_no_details_and_no_heartbeat() -> None:
    assert lock.parse_inspect("") == lock.Inspected("", None)
