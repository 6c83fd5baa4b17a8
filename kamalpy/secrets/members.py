"""Who can read what: init, recipients add/remove, and re-wrapping files to follow the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from kamalpy.errors import SecretsError
from kamalpy.secrets.access import AccessChange, access_change, describe
from kamalpy.secrets.age import Recipient
from kamalpy.secrets.api import open_file, save
from kamalpy.secrets.identity import Identity
from kamalpy.secrets.store import (
    SECRETS_DIR,
    Member,
    Policy,
    all_files,
    clean_key,
    display,
    load_policy,
    read_secrets,
    recipients_path,
    save_policy,
)

GITATTRIBUTES_LINE: Final = f"{SECRETS_DIR}/**/*.secrets text eol=lf diff=kamalpy-secrets"
TEXTCONV_SETUP: Final = 'git config diff.kamalpy-secrets.textconv "kamalpy secrets textconv"'


@dataclass(frozen=True)
class Change:
    """What a policy change did to one file."""

    path: str
    action: str


def init(root: Path, name: str, recipient: Recipient) -> list[str]:
    """Create secrets/recipients.yml with one member reading everything, and .gitattributes."""
    done: list[str] = []
    if not recipients_path(root).exists():
        save_policy(root, Policy((Member(name, str(recipient), ("*",)),)))
        done.append(display(root, recipients_path(root)))
    attributes = root / ".gitattributes"
    text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    if GITATTRIBUTES_LINE not in text.splitlines():
        prefix = text if not text or text.endswith("\n") else text + "\n"
        attributes.write_text(prefix + GITATTRIBUTES_LINE + "\n", encoding="utf-8")
        done.append(display(root, attributes))
    return done


def add_recipient(
    root: Path, name: str, key: str, access: Sequence[str], who: Identity
) -> list[Change]:
    """Add (or change) a member and re-wrap every file they may now read."""
    key = clean_key(key, f"recipient {name}")
    policy = load_policy(root)
    _refuse_pending(root, policy)
    kept = tuple(m for m in policy.members if m.name != name)
    new = Policy((*kept, Member(name, key, tuple(access) or ("*",))))
    return _apply(root, new, who)


def remove_recipient(root: Path, name: str, who: Identity) -> list[Change]:
    """Remove a member; every file they could read gets a new data key."""
    policy = load_policy(root)
    if name not in {m.name for m in policy.members}:
        raise SecretsError(f"{display(root, recipients_path(root))}: no recipient named {name}")
    _refuse_pending(root, policy)
    new = Policy(tuple(m for m in policy.members if m.name != name))
    return _apply(root, new, who)


def pending_changes(root: Path) -> list[AccessChange]:
    """Each file whose recipients differ from recipients.yml, and how (needs no identity)."""
    return _plan(root, load_policy(root))


def sync(root: Path, who: Identity, approved: Sequence[AccessChange]) -> list[Change]:
    """Make every file follow recipients.yml, if that is exactly the `approved` change."""
    policy = load_policy(root)
    if _plan(root, policy) != list(approved):
        raise SecretsError(
            "the recipients changed since the change was shown (secrets/ was modified "
            "meanwhile); nothing was written",
            hint="run `kamalpy secrets recipients sync` again and review the new change",
        )
    return _apply(root, policy, who)


def _plan(root: Path, policy: Policy) -> list[AccessChange]:
    changes = []
    for path, identity in all_files(root):
        current = read_secrets(root, path, identity).recipients
        change = access_change(display(root, path), current, policy.recipients_for(identity))
        if change is not None:
            changes.append(change)
    return changes


def _refuse_pending(root: Path, policy: Policy) -> None:
    """add/remove change one member; anything else already pending needs its own review."""
    pending = _plan(root, policy)
    if pending:
        raise SecretsError(
            "secrets/recipients.yml already differs from the files (edited by hand?), and "
            "this would apply that too:\n" + describe(pending),
            hint="review it with `kamalpy secrets recipients sync` (or restore recipients.yml "
            "from git), then run this again",
        )


def _apply(root: Path, new: Policy, who: Identity) -> list[Change]:
    """Open every file whose recipients change first, so nothing is written if one fails."""
    pending = []
    for path, identity in all_files(root):
        current = read_secrets(root, path, identity).recipients
        if list(current) != new.recipients_for(identity):
            pending.append(open_file(root, identity, who))
    save_policy(root, new)
    changes = []
    for unlocked in pending:
        before = set(unlocked.old.recipients) if unlocked.old else set()
        lost = before - set(new.recipients_for(unlocked.identity))
        save(unlocked, unlocked.values, change_access=True)
        action = "new data key, all values re-encrypted" if lost else "data key re-wrapped"
        changes.append(Change(display(root, unlocked.path), action))
    return changes


@dataclass
class Verification:
    """What `verify` found: problems, files fully checked, files checked for structure only."""

    problems: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)
    structure_only: list[str] = field(default_factory=list)


def verify(root: Path, who: Identity | None) -> Verification:
    """Check every file: structure and policy always, the MAC and values when `who` can read."""
    report = Verification()
    try:
        policy: Policy | None = load_policy(root)
    except SecretsError as error:
        report.problems.append(error.message)
        policy = None
    mine = {str(r) for r in who.recipients()} if who else set()
    for path, identity in all_files(root):
        shown = display(root, path)
        try:
            secrets = read_secrets(root, path, identity)
            if policy is not None:
                wanted = policy.recipients_for(identity)
                change = access_change(shown, secrets.recipients, wanted)
                if change is not None:
                    report.problems.append(
                        f"{shown}: recipients differ from secrets/recipients.yml:\n"
                        + "\n".join(change.lines())
                        + "\n  (review, then `kamalpy secrets recipients sync`)"
                    )
            if who is not None and mine & {public for _, public in secrets.recipients}:
                open_file(root, identity, who)
                report.verified.append(shown)
            else:
                report.structure_only.append(shown)
        except SecretsError as error:
            report.problems.append(error.message)
    return report
