"""Who would gain or lose access to a file: the difference between it and recipients.yml.

recipients.yml is not authenticated (anyone who can push can edit it), so no ordinary write
follows it: a write to a file whose recipients differ from the policy is refused with this
difference, and only `kamalpy secrets recipients add|remove|sync` (which show it) change access.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kamalpy.errors import SecretsError

Recipients = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class AccessChange:
    """One file's recipients against the policy: (name, age1…) pairs gained and lost."""

    path: str
    gained: tuple[tuple[str, str], ...]
    lost: tuple[tuple[str, str], ...]

    def names(self) -> set[str]:
        """Every member whose access to this file changes."""
        return {name for name, _ in (*self.gained, *self.lost)}

    def lines(self) -> list[str]:
        """`+ name (age1…)` for each member who gains access, `- …` for each who loses it."""
        return [f"  + {name} ({key}) gains access" for name, key in self.gained] + [
            f"  - {name} ({key}) loses access" for name, key in self.lost
        ]


def access_change(path: str, current: Recipients, policy: Recipients) -> AccessChange | None:
    """What following the policy would change for this file, or None when it already does."""
    gained = tuple(sorted(set(policy) - set(current)))
    lost = tuple(sorted(set(current) - set(policy)))
    return AccessChange(path, gained, lost) if gained or lost else None


def describe(changes: Iterable[AccessChange]) -> str:
    """Every file's change, one member per line, for a message or a confirmation prompt."""
    out: list[str] = []
    for change in changes:
        out.append(f"{change.path}:")
        out += change.lines()
    return "\n".join(out)


def differs_error(change: AccessChange) -> SecretsError:
    """The refusal of an ordinary write to a file whose recipients differ from the policy."""
    return SecretsError(
        f"{change.path}: its recipients differ from secrets/recipients.yml, and writing it "
        "would change who can read it:\n" + "\n".join(change.lines()),
        hint="recipients.yml is not authenticated: if the change above is intended, apply it "
        "with `kamalpy secrets recipients sync` (it shows the change and asks); if not, "
        "restore secrets/recipients.yml from git",
    )


def removed_error(change: AccessChange) -> SecretsError:
    """The refusal to deploy from a file that still lists members the policy has removed."""
    who = ", ".join(f"{name} ({key})" for name, key in change.lost)
    return SecretsError(
        f"{change.path}: still readable by {who}, whom secrets/recipients.yml no longer lets "
        "read it (an older copy of the file was restored, or a removal was not finished)",
        hint="run `kamalpy secrets recipients sync` to rotate the file's data key, and change "
        "the values those members could read",
    )
