"""Helpers for deploy acceptance tests: a service directory for the bed, the CLI, a load client."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.testbed import Bed, images

REPO = Path(__file__).resolve().parents[2]
HOSTS = ("h1", "h2", "h3")


def deploy_yml(bed: Bed, service: str, *, workers: bool = True, extra: str = "") -> str:
    """A two-role deploy.yml for the bed: web behind Traefik on `<service>.test`, workers not."""
    worker_role = (
        "  workers:\n    hosts: [h1]\n    cmd: sleep 100000\n    proxy: false\n" if workers else ""
    )
    return f"""\
service: {service}
image: {service}
servers:
  web:
    hosts: [h1, h2, h3]
{worker_role}proxy:
  host: {service}.test
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
  run:
    registry: {bed.registry}
registry:
  server: {bed.registry}
  username: {bed.registry_user}
  password:
    - KAMAL_REGISTRY_PASSWORD
builder:
  arch: amd64
env:
  clear:
    GREETING: "hello 'world' $(id) `id`"
  secret:
    - DB_PASSWORD
ssh:
  config: {bed.ssh_config}
readiness_delay: 1
deploy_timeout: 8
drain_timeout: 5
{extra}"""


@dataclass
class Service:
    """A Kamal-layout directory (config/deploy.yml) and a way to run kamalpy in it."""

    bed: Bed
    name: str
    root: Path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(REPO),
            KAMAL_REGISTRY_PASSWORD=self.bed.registry_password,
            DB_PASSWORD="s3cret 'quoted' $(id)",
        )
        env.pop("VERSION", None)
        return env

    def kamalpy(
        self, *args: str, timeout: float = 180, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `python -m kamalpy ARGS` in the service directory."""
        env = {**self.env(), **(extra_env or {})}
        return subprocess.run(
            [sys.executable, "-m", "kamalpy", *args], cwd=self.root, env=env,
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def popen(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start kamalpy without waiting."""
        return subprocess.Popen(
            [sys.executable, "-m", "kamalpy", *args], cwd=self.root,
            env={**self.env(), **(extra_env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def ssh(self, host: str, script: str) -> str:
        """Run a shell snippet on a bed host as root; its stdout."""
        return subprocess.run(
            ["ssh", "-F", self.bed.ssh_config, host, "--", script],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip

    def get(self, host: str, path: str = "/version", timeout: float = 5) -> tuple[int, str]:
        """GET through the proxy of a bed host with this service's Host header."""
        return proxy_get(self.bed, host, self.name, path, timeout)


def proxy_get(
    bed: Bed, host: str, service: str, path: str = "/version", timeout: float = 5
) -> tuple[int, str]:
    """GET `path` through the proxy of a bed host with the Host header `<service>.test`."""
    conn = http.client.HTTPConnection(bed.host(host).ip, 80, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": f"{service}.test"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def publish(bed: Bed, service: str, variants: tuple[str, ...]) -> None:
    """Push app variants as `<registry>/<service>:<variant>`, labelled service=<service>."""
    for variant in variants:
        images.publish_app(bed, variant, repository=service, service=service)


def make_service(bed: Bed, root: Path, name: str, **kwargs: object) -> Service:
    """Write config/deploy.yml for `name` under root."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "deploy.yml").write_text(deploy_yml(bed, name, **kwargs))  # type: ignore[arg-type]
    return Service(bed, name, root)


# Service names taken in this pytest process: modules share one bed, so a name is one module's.
_TAKEN: set[str] = set()


def cleanup_script(name: str) -> str:
    """Shell removing what a service `name` left on a host: containers (apps and its accessories,
    all named `<name>-...`), route files, env files, lock, audit log and accessory directories;
    it fails if a container is still there."""
    names = f"docker ps -a --format '{{{{.Names}}}}' | grep -E '^{name}-'"
    return (
        f"{names} | xargs -r docker rm -f >/dev/null; rm -rf .kamal/apps/{name}"
        f" .kamal/apps/{name}-* .kamal/lock-{name} .kamal/lock-{name}-*"
        f" .kamal/proxy/dynamic/{name}-*.yml .kamal/{name}-*audit.log ./{name}-*; ! {names}"
    )


def service_fixture(
    name: str,
    variants: tuple[str, ...] = ("v1",),
    *,
    deployed: str | None = None,
    prepare: Callable[[Bed, Service], None] | None = None,
    extra: Callable[[Bed], str] | None = None,
    workers: bool = True,
) -> Callable[..., Iterator[Service]]:
    """The module-scoped `svc` fixture: `name`'s app images published, its own directory (deploy.yml
    with `workers` and `extra(bed)`), then `prepare` (more images, files), then deployed at version
    `deployed` if given; cleared from every host afterwards, so the next module on the shared bed
    finds quiet hosts."""
    assert name not in _TAKEN, f"service name {name!r} is already another module's"
    _TAKEN.add(name)

    @pytest.fixture(scope="module", name="svc")
    def fixture(
        bed: Bed,
        app_images: dict[str, str],
        traefik_image: str,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[Service]:
        publish(bed, name, variants)
        root = tmp_path_factory.mktemp(name)
        more = extra(bed) if extra is not None else ""
        service = make_service(bed, root, name, workers=workers, extra=more)
        if prepare is not None:
            prepare(bed, service)
        if deployed is not None:
            result = service.kamalpy("deploy", "--skip-push", "--version", deployed)
            assert result.returncode == 0, result.stdout + result.stderr
        yield service
        for host in HOSTS:
            service.ssh(host, cleanup_script(name))

    return fixture


@dataclass
class LoadClient:
    """Continuous clients without retries: new connection per request, keep-alive, 2 s requests."""

    service: Service
    hosts: tuple[str, ...] = HOSTS
    max_seconds: float = 600
    stop: threading.Event = field(default_factory=threading.Event)
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slow_path: str | None = None
    path: str = "/up"  # what the fresh and keep-alive loops request (e.g. behind a path prefix)
    # A pause between a loop's requests: ~100 per second per loop still sees any gap longer than
    # 10 ms, while loops flat out spent half of CI's 2 cores on clients, Traefik and httpd.
    pace: float = 0.01
    threads: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _note(self, kind: str, ok: bool, detail: str) -> None:
        with self.lock:
            self.outcomes[f"{kind} {'ok' if ok else 'failed'}"] += 1
            if not ok:
                self.failures.append(f"{kind}: {detail}")

    def _fresh(self, host: str) -> None:
        while not self._done():
            try:
                status, body = self.service.get(host, self.path)
                self._note("fresh", status == 200, f"{host} {status} {body[:60]!r}")
            except OSError as error:
                self._note("fresh", False, f"{host} {error!r}")
            self.stop.wait(self.pace)

    def _keepalive(self, host: str) -> None:
        ip = self.service.bed.host(host).ip
        conn = http.client.HTTPConnection(ip, 80, timeout=10)
        while not self._done():
            try:
                conn.request("GET", self.path, headers={"Host": f"{self.service.name}.test"})
                response = conn.getresponse()
                body = response.read()
                self._note(
                    "keepalive", response.status == 200, f"{host} {response.status} {body[:60]!r}"
                )
            except (OSError, http.client.HTTPException) as error:
                self._note("keepalive", False, f"{host} {error!r}")
                conn.close()
                conn = http.client.HTTPConnection(ip, 80, timeout=10)
            self.stop.wait(self.pace)
        conn.close()

    def _slow(self, host: str) -> None:
        assert self.slow_path is not None
        while not self._done():
            try:
                status, body = self.service.get(host, self.slow_path, timeout=15)
                self._note(
                    "slow", status == 200 and "slow done" in body, f"{host} {status} {body[:60]!r}"
                )
            except OSError as error:
                self._note("slow", False, f"{host} {error!r}")

    def _done(self) -> bool:
        return self.stop.is_set() or time.monotonic() - self.started > self.max_seconds

    def __enter__(self) -> LoadClient:
        self.started = time.monotonic()
        for host in self.hosts:
            workers = [self._fresh, self._keepalive] + ([self._slow] * 2 if self.slow_path else [])
            for work in workers:
                thread = threading.Thread(target=work, args=(host,), daemon=True)
                thread.start()
                self.threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=20)

    @property
    def failed(self) -> int:
        return sum(n for k, n in self.outcomes.items() if k.endswith("failed"))

    @property
    def succeeded(self) -> int:
        return sum(n for k, n in self.outcomes.items() if k.endswith(" ok"))
