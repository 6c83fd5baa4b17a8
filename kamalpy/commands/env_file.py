"""Docker `--env-file` bodies that carry every value exactly, or refuse naming the variable.

Docker's parser (checked against docker 28 here, the same since 1.x) reads the file line by line
with a 64 KiB line buffer, drops a trailing carriage return, trims leading whitespace, skips blank
and `#` lines, splits on the first `=`, and does not unquote. So a value may hold quotes, `#`,
`=`, leading/trailing spaces and any UTF-8 text, but not a newline, a trailing carriage return or
NUL, and the whole `NAME=value` line must stay under 64 KiB.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from kamalpy.errors import SecretsError
from kamalpy.sensitive import Sensitive

# bufio.Scanner's default limit is 64 KiB including the newline that ends the line.
MAX_LINE_BYTES: Final = 64 * 1024 - 1
ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_file_problem(name: str, value: str) -> str | None:
    """Why `NAME=value` cannot pass through an env file unchanged (never quoting it), or None."""
    if not ENV_NAME.fullmatch(name):
        return "its name is not a valid environment variable name"
    if "\n" in value:
        return "it contains a newline, which Docker's env-file format cannot carry"
    if "\0" in value:
        return "it contains a NUL byte, which no environment variable can hold"
    if value.endswith("\r"):
        return "it ends with a carriage return, which Docker's env-file parser drops"
    try:
        size = len(name.encode("utf-8")) + 1 + len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return "it is not valid Unicode text (a lone surrogate)"
    if size > MAX_LINE_BYTES:
        return f"NAME=value is {size} bytes; Docker's env-file lines stop at {MAX_LINE_BYTES}"
    return None


def render_env_file(
    values: Mapping[str, Sensitive], sources: Mapping[str, str] | None = None
) -> bytes:
    """The env file body (sorted `NAME=value` lines); SecretsError naming the first bad secret.

    `sources` maps a variable to the secret it comes from (`NAME:SECRET`), for the message.
    """
    lines = []
    for name in sorted(values):
        value = values[name].reveal()
        problem = env_file_problem(name, value)
        if problem is not None:
            secret = (sources or {}).get(name, name)
            label = f"secret {secret}" + (f" (env {name})" if secret != name else "")
            raise SecretsError(
                f"{label} cannot be passed to the container exactly: {problem}",
                hint="store the value in a form without that character (e.g. base64) "
                "and decode it in the container",
            )
        lines.append(f"{name}={value}\n")
    return "".join(lines).encode("utf-8")


def select_env(
    refs: Iterable[tuple[str, str]], resolved: Mapping[str, Sensitive]
) -> dict[str, Sensitive]:
    """Container variables from `(env name, secret name)` pairs (Kamal's `NAME:SECRET` form)."""
    out: dict[str, Sensitive] = {}
    for env_name, secret_name in refs:
        if secret_name not in resolved:
            raise SecretsError(f"env {env_name}: secret {secret_name} was not resolved")
        out[env_name] = resolved[secret_name]
    return out
