"""A two-role Configuration built directly from the model (no loader needed)."""

from __future__ import annotations

from pathlib import Path

from kamalpy.config.model import (
    Boot,
    Builder,
    Configuration,
    Env,
    Logging,
    Proxy,
    ProxyRun,
    Registry,
    Role,
    SecretRef,
    Ssh,
    Sshkit,
    frozen_map,
)

HOSTS = ("10.0.0.1", "10.0.0.2", "10.0.0.3")


def sample_config(
    *, version: str = "v2", destination: str | None = None, root: Path = Path("/nonexistent")
) -> Configuration:
    proxy = Proxy(hosts=("hey.test",), app_port=80, run=ProxyRun(registry="127.0.0.1:5000"))
    env = Env(frozen_map({"CLEAR": "1"}), (SecretRef("DB_PASSWORD", "DB_PASSWORD"),))
    web = Role("web", HOSTS, frozen_map(), (), (), frozen_map(), env, Logging(), proxy, True)
    worker = Role(
        "workers",
        HOSTS[:1],
        frozen_map(),
        ("sleep", "1000"),
        (),
        frozen_map(),
        env,
        Logging(),
        None,
        False,
    )
    return Configuration(
        path=root / "deploy.yml", root=root, service="hey", image="hey", version=version,
        destination=destination, primary_role="web", roles=(web, worker),
        registry=Registry(server="127.0.0.1:5000"), builder=Builder(arch=("amd64",)),
        env=env, volumes=(), labels=frozen_map(), logging=Logging(), ssh=Ssh(),
        sshkit=Sshkit(), boot=Boot(), proxy=proxy, accessories=(), aliases=frozen_map(),
    )  # fmt: skip
