"""Pure builders for registry login and logout; the password always travels on stdin."""

from __future__ import annotations


def login_argv(server: str | None, username: str) -> tuple[str, ...]:
    """`docker login` reading the password from stdin (Docker Hub when server is None)."""
    where = (server,) if server else ()
    return ("docker", "login", *where, "--username", username, "--password-stdin")


def logout_argv(server: str | None) -> tuple[str, ...]:
    """`docker logout` (Docker Hub when server is None)."""
    where = (server,) if server else ()
    return ("docker", "logout", *where)
