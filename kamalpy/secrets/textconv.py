"""A redacted, readable view of a secrets file for `git diff` (no identity needed)."""

from __future__ import annotations

from hashlib import sha256

from kamalpy.errors import SecretsError
from kamalpy.secrets.format import parse


def _fingerprint(data: bytes) -> str:
    return sha256(data).hexdigest()[:12]


def textconv(text: str, path: str) -> str:
    """Names, recipients and short ciphertext fingerprints: a diff shows which secret changed."""
    try:
        secrets = parse(text, path)
    except SecretsError as error:
        return f"# {path}: not a valid kamalpy secrets file: {error.message}\n"
    lines = [
        f"# kamalpy secrets {secrets.identity.scope}/{secrets.identity.destination}",
        *(f"recipient {name} {public}" for name, public in secrets.recipients),
        f"data key (wrapped) {_fingerprint(secrets.key_block.encode())}",
        *(f"{name} = [encrypted {_fingerprint(sealed)}]" for name, sealed in secrets.values),
        f"mac {_fingerprint(secrets.mac)}",
    ]
    return "\n".join(lines) + "\n"
