"""Who can read what: init, recipients add/remove, and re-wrapping files to follow the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kamalpy.errors import SecretsError
from kamalpy.secrets.age import AgeError, Recipient
from kamalpy.secrets.api import open_file, save
from kamalpy.secrets.identity import Identity
from kamalpy.secrets.store import (
    SECRETS_DIR,
    Member,
    Policy,
    all_files,
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
    try:
        Recipient.parse(key)
    except AgeError as error:
        raise SecretsError(f"recipient {name}: {error}") from None
    policy = load_policy(root)
    kept = tuple(m for m in policy.members if m.name != name)
    new = Policy((*kept, Member(name, key, tuple(access) or ("*",))))
    return _apply(root, policy, new, who)


def remove_recipient(root: Path, name: str, who: Identity) -> list[Change]:
    """Remove a member; every file they could read gets a new data key."""
    policy = load_policy(root)
    if name not in {m.name for m in policy.members}:
        raise SecretsError(f"{display(root, recipients_path(root))}: no recipient named {name}")
    new = Policy(tuple(m for m in policy.members if m.name != name))
    return _apply(root, policy, new, who)


def sync(root: Path, who: Identity) -> list[Change]:
    """Bring every file's recipients in line with recipients.yml (after a hand edit of it)."""
    policy = load_policy(root)
    return _apply(root, policy, policy, who)


def _apply(root: Path, old: Policy, new: Policy, who: Identity) -> list[Change]:
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
        save(unlocked, unlocked.values)
        action = "new data key, all values re-encrypted" if lost else "data key re-wrapped"
        changes.append(Change(display(root, unlocked.path), action))
    return changes


def verify(root: Path, who: Identity | None) -> list[str]:
    """Problems found in every file: structure always, the MAC and values when `who` can read."""
    problems: list[str] = []
    try:
        policy: Policy | None = load_policy(root)
    except SecretsError as error:
        problems.append(error.message)
        policy = None
    mine = {str(r) for r in who.recipients()} if who else set()
    for path, identity in all_files(root):
        shown = display(root, path)
        try:
            secrets = read_secrets(root, path, identity)
            if policy and list(secrets.recipients) != policy.recipients_for(identity):
                problems.append(
                    f"{shown}: recipients differ from secrets/recipients.yml "
                    "(run `kamalpy secrets recipients sync`)"
                )
            if who is not None and mine & {public for _, public in secrets.recipients}:
                open_file(root, identity, who)
        except SecretsError as error:
            problems.append(error.message)
    return problems
