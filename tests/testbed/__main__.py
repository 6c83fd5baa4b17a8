"""`python -m tests.testbed up|down|status`: run the bed by hand (nox -s testbed -- ...)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from types import FrameType

from tests.testbed import cleanup, images, lifecycle
from tests.testbed.proc import BedError
from tests.testbed.spec import BedSpec, SpecError
from tests.testbed.state import all_states


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Repeats are ignored: a second ^C must not cut the teardown short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt(f"signal {signum}")


def parse(argv: list[str]) -> argparse.Namespace:
    """Command line: an action and the bed's prefix/hosts/index."""
    parser = argparse.ArgumentParser(prog="python -m tests.testbed", description=__doc__)
    parser.add_argument("action", choices=["up", "down", "status", "purge-cache"])
    parser.add_argument("--prefix", default="kp", help="names every resource (default kp)")
    parser.add_argument("--hosts", type=int, default=3, help="number of hosts (default 3)")
    parser.add_argument(
        "--index", type=int, default=None, help="slot: subnet 10.231.N.0/24, port 5000+N"
    )
    parser.add_argument("--images", action="store_true", help="with up: build and push app images")
    parser.add_argument(
        "--foreground",
        action="store_true",
        help="with up: own the bed, wait, and tear it down on ^C/SIGTERM (like a pytest run)",
    )
    return parser.parse_args(argv)


def do_up(args: argparse.Namespace) -> int:
    """Bring the bed up and leave it running."""
    started = time.monotonic()
    spec = BedSpec(prefix=args.prefix, hosts=args.hosts, index=args.index)
    try:  # from before `up`: a signal right after it returns must still tear down
        bed = lifecycle.up(spec, owner_pid=os.getpid() if args.foreground else None)
        print(f"up in {time.monotonic() - started:.1f}s", file=sys.stderr)
        if args.images:
            refs = images.publish_app_images(bed)
            print("images: " + " ".join(refs.values()))
        print(bed.describe())
        print(f"registry password: in {bed.run_dir}/state.json (bed.registry_password)", flush=True)
        while args.foreground:
            time.sleep(3600)
    finally:
        if args.foreground:
            lifecycle.down(spec.prefix)
    return 0


def do_status(args: argparse.Namespace) -> int:
    """Print every bed on this machine, and leftovers of `--prefix`."""
    states = all_states()
    if not states:
        print("no test beds on this machine")
    for state in states:
        bed = state.running_bed()
        owner = f"owned by pid {state.owner_pid}" if state.owner_pid else "kept until down"
        print(bed.describe() if bed else f"bed {state.prefix}: not fully up", f"({owner})")
    rest = cleanup.leftovers(args.prefix)
    if rest and not any(s.prefix == args.prefix for s in states):
        print(f"leftovers of {args.prefix}:", *rest, sep="\n  ")
    return 0


def main(argv: list[str]) -> int:
    """Dispatch; ^C and SIGTERM during `up` tear down what was made."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        args = parse(argv)
        if args.action == "up":
            return do_up(args)
        if args.action == "down":
            problems = lifecycle.down(args.prefix)
            print(*problems, sep="\n", file=sys.stderr)
            return 1 if problems else 0
        if args.action == "purge-cache":
            images.purge_cache()
            return 0
        return do_status(args)
    except (BedError, SpecError) as err:
        print(f"testbed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("testbed: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
