"""kamalpy's nox kit: one call registers deploy/plan/why/build/rollback/details/secrets/test.

    # noxfile.py
    import kamalpy.nox
    kamalpy.nox.register()

A top layer beside `cli/` and `demo/`: it reads the environment and the tty, and runs kamalpy
as a process through nox, exactly as a person would type it.
"""

from __future__ import annotations

from kamalpy.nox.kit import SESSIONS, register

__all__ = ["SESSIONS", "register"]
