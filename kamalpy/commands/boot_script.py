"""Pure builder for the one round trip that boots a role's new container on a host.

Besides `docker run` (or start, or reuse), the same `bash -c` script writes the role's env
file from stdin (0600: secret values never in argv), retags a reused image, and for a role
without a proxy waits host-side until the container is ready, then stops the old ones and
appends the audit line. Values arrive as positional parameters, never in the script text.
What the script did comes back one verdict per line on stdout (see `BootAnswer`).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from kamalpy.commands.app import state_argv

Argv = tuple[str, ...]

# How long one round trip may wait host-side for readiness before answering `pending` (the
# client then asks again): a stop requested meanwhile (a signal) is honoured within this.
READY_BUDGET = 10

# A readiness check every 0.25-1 s (a quarter of the delay), the last stretch waited exactly.
_SCRIPT = r"""name=$1 mode=$2 envfile=$3 src=$4 n=$5; shift 5
refs=("${@:1:n}"); shift "$n"
delay=$1 limit=$2 budget=$3 n=$4; shift 4
then=("${@:1:n}"); shift "$n"
if [ -n "$envfile" ]; then
  if ! { mkdir -p -m 700 "${envfile%/*}" && install -m 600 /dev/stdin "$envfile"; }; then
    echo "could not write the env file $envfile" >&2; exit 1
  fi
fi
exec </dev/null
for ref in "${refs[@]}"; do
  docker tag "$src" "$ref" 2>/dev/null ||
    { docker pull "$src" >/dev/null && docker tag "$src" "$ref"; } || exit
done
if [ "$mode" != resume ]; then
  state=$(docker inspect --format '{{.State.Status}}' "$name" 2>/dev/null) || state=absent
  case "$state:$mode" in
    running:*) echo reuse ;;
    absent:*) echo boot; "$@" >/dev/null || exit ;;
    *:start) docker start "$name" >/dev/null || exit; echo started ;;
    *) docker rm --force "$name" >/dev/null || exit; echo boot; "$@" >/dev/null || exit ;;
  esac
fi
[ -n "$limit" ] || exit 0
clock() { t=${EPOCHREALTIME//[!0-9]/}; t=$(( ${t:-$((SECONDS * 1000000))} / 1000 )); }
clock; start=$t; every=$(( delay / 4 ))
every=$(( every < 250 ? 250 : every > 1000 ? 1000 : every ))
while :; do
  fields=$(@STATE@ "$name" 2>/dev/null)
  read -r status health _ <<< "$fields"
  case "$status" in running|created|restarting) ;; *) echo "stopped $fields"; exit 0 ;; esac
  clock; took=$(( t - start )); left=$(( delay - took ))
  if [ "${health:-none}" != none ]; then [ "$health" = healthy ] && break
  elif [ "$status" = running ] && [ "$left" -le 0 ]; then break; fi
  [ "$took" -ge "$limit" ] && { echo timeout; exit 0; }
  [ "$took" -ge "$budget" ] && { echo "pending $took"; exit 0; }
  pause=$every
  if [ "$status" = running ] && [ "$left" -gt 0 ] && [ "$left" -lt "$pause" ]; then pause=$left; fi
  sleep "$(( pause / 1000 )).$(printf %03d $(( pause % 1000 )))"
done
echo ready
@THEN@"""

# Run each count-prefixed argv of `then` in turn, its output to stderr, one `then I STATUS`
# line each; the first failure ends the script (exit 0: the verdict lines say what happened).
_THEN = r"""i=0; k=0
while [ "$i" -lt "${#then[@]}" ]; do
  n=${then[i]}; cmd=("${then[@]:i+1:n}"); i=$(( i + n + 1 ))
  "${cmd[@]}" >&2; status=$?
  echo "then $k $status"; k=$(( k + 1 ))
  [ "$status" = 0 ] || exit 0
done"""

# The readiness reading is `app.state_argv`'s: `<status> <health or none> <exit code>`.
SCRIPT = _SCRIPT.replace("@STATE@", shlex.join(state_argv("")[:4])).replace("@THEN@", _THEN)


@dataclass(frozen=True)
class Readiness:
    """Host-side wait of a role without a proxy: Docker's `healthy`, else running after delay."""

    delay: float  # s the container must keep running (when its image has no health check)
    limit: float  # s after the boot before the release counts as failed
    budget: float = READY_BUDGET  # s one round trip may wait before answering `pending`

    def waited(self, seconds: float) -> Readiness:
        """What is left of this wait after `seconds` of it passed (a resumed wait)."""
        return Readiness(max(0.0, self.delay - seconds), self.limit - seconds, self.budget)


@dataclass(frozen=True)
class Boot:
    """What a role's boot on one host is, known when planning (the run's extras come later)."""

    name: str
    run: Argv
    start_existing: bool  # rollback: start the stopped container of that version again
    ready: Readiness | None = None  # roles without a proxy: wait host-side, then `then`
    retire: Argv | None = None  # once ready: stop the role's old containers, prune


@dataclass(frozen=True)
class Retag:
    """Reuse an image built for the same inputs: `source` (pulled if absent) as `references`.

    A tag is tried first: it fails only when the host lacks `source`, which is then pulled.
    """

    source: str
    references: tuple[str, ...]


def boot_argv(
    boot: Boot,
    *,
    env_file: str | None = None,
    retag: Retag | None = None,
    audit: Argv | None = None,
    resume: bool = False,
    ready: Readiness | None = None,
) -> Argv:
    """The boot round trip; `env_file` reads its body from stdin; `resume`: only wait again.

    `ready` overrides the plan's readiness (a resumed wait has less time left); `audit` runs
    after the retire, once the container is ready (roles without a proxy only).
    """
    mode = "resume" if resume else "start" if boot.start_existing else "replace"
    wait = ready or boot.ready
    refs = retag.references if retag else ()
    then = _flatten([a for a in (boot.retire, audit) if a is not None]) if wait else ()
    timing = _milliseconds(wait.delay, wait.limit, wait.budget) if wait else ("0", "", "0")
    return ("bash", "-c", SCRIPT, "kamalpy-boot", boot.name, mode, env_file or "",
            retag.source if retag else "", str(len(refs)), *refs, *timing, str(len(then)),
            *then, *boot.run)  # fmt: skip


def then_argv(argvs: Sequence[Argv]) -> Argv:
    """Run argvs in turn in one round trip, a `then I STATUS` line each, stop at a failure."""
    then = _flatten(argvs)
    script = 'then=("${@:2:$1}")\n' + _THEN
    return ("bash", "-c", script, "kamalpy-then", str(len(then)), *then)


def _milliseconds(*seconds: float) -> tuple[str, ...]:
    return tuple(str(max(0, round(s * 1000))) for s in seconds)


def _flatten(argvs: Sequence[Argv]) -> tuple[str, ...]:
    return tuple(word for argv in argvs for word in (str(len(argv)), *argv))


@dataclass(frozen=True)
class BootAnswer:
    """What the boot script said: how it booted, the readiness verdict, each `then` status."""

    outcome: str  # boot | reuse | started | "" (resumed, or a dry run)
    verdict: str  # ready | pending | timeout | stopped | "" (no wait asked for)
    stopped: str  # the container's state fields when the verdict is `stopped`
    waited: float  # s the host waited when the verdict is `pending`
    then: tuple[int, ...]  # exit status of each `then` command that ran
    errors: str = ""  # what the script and its commands wrote to stderr


def read_answer(stdout: str, stderr: str = "") -> BootAnswer:
    """Parse the verdict lines of `boot_argv`/`then_argv` output."""
    outcome, verdict, stopped, waited, then = "", "", "", 0.0, []
    for line in stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("boot", "reuse", "started") and not rest:
            outcome = word
        elif word in ("ready", "timeout") and not rest:
            verdict = word
        elif word == "pending":
            verdict, waited = word, int(rest) / 1000
        elif word == "stopped":
            verdict, stopped = word, rest
        elif word == "then":
            then.append(int(rest.split()[1]))
    return BootAnswer(outcome, verdict, stopped, waited, tuple(then), stderr)
