"""The per-role secret env files: rendered by `commands.env_file` only, all checked up front.

Every body is rendered before the first host is touched, so a value Docker's env-file format
cannot carry stops the deploy naming the secret, never half-way through the hosts.
"""

from __future__ import annotations

from collections.abc import Mapping

from kamalpy.commands.env_file import render_env_file, select_env
from kamalpy.errors import SecretsError
from kamalpy.plan import DeployPlan, HostStep
from kamalpy.sensitive import Sensitive


def env_file_body(step: HostStep, secrets: Mapping[str, Sensitive]) -> bytes:
    """The env file one role gets on one host; SecretsError naming the variable and secret."""
    try:
        return render_env_file(select_env(step.secret_env, secrets), dict(step.secret_env))
    except SecretsError as error:
        raise SecretsError(f"role {step.role} on {step.host}: {error.message}",
                           hint=error.hint) from None  # fmt: skip


def check_env_files(plan: DeployPlan, secrets: Mapping[str, Sensitive]) -> None:
    """Render every host's env files once, discarding them: refuse before deploying."""
    for role in plan.roles:
        for step in role.hosts:
            env_file_body(step, secrets)
