"""Pure: the proxy's own run configuration, recorded on its container and compared with the wanted.

The proxy is booted with a label holding the settings it runs with (image, ports, TLS and ACME,
forwarded headers, and a digest of its whole `docker run`). A deploy, `setup` or `proxy boot`
reads it back and replaces the proxy only when the wanted settings differ, so an unchanged
configuration never restarts it; routes (the file provider) change without any restart anyway.

Services share each host's proxy, so a service only ever adds to it: TLS (with its ACME
settings) and trusted forwarded headers stay on while the running proxy has them, even when the
service deploying now does not ask for them. `proxy reboot` takes exactly one service's settings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

from kamalpy.commands import proxy

Argv = tuple[str, ...]
OWNER_LABEL = "org.kamalpy.proxy"
CONFIG_LABEL = "org.kamalpy.proxy-config"
Record = Mapping[str, object]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record(settings: proxy.ProxySettings) -> dict[str, object]:
    """What the label records: the settings that shape the running proxy (none of them secret)."""
    ssl = settings.ssl
    ca = settings.acme_ca_digest or (
        _digest(settings.acme_ca_pem) if settings.acme_ca_pem else None
    )
    fields: dict[str, object] = {
        "image": settings.image,
        "http_port": settings.http_port,
        "https_port": settings.https_port if ssl else None,
        "api_port": settings.api_port,
        "bind_ips": list(settings.bind_ips) or None,
        "ssl": ssl,
        "acme_ca_server": settings.acme_ca_server if ssl else None,
        "acme_email": settings.acme_email if ssl else None,
        "acme_ca_certificates": ca if ssl else None,
        "forward_headers": settings.trust_forwarded_headers,
        # Everything else the run says (flags a newer kamalpy adds, mounts): one digest.
        "run": _digest(json.dumps(proxy.run_argv(settings))),
    }
    return {key: value for key, value in fields.items() if value is not None}


def label_value(settings: proxy.ProxySettings) -> str:
    """The label's value: the record as compact JSON with sorted keys."""
    return json.dumps(record(settings), sort_keys=True, separators=(",", ":"))


def boot_argv(settings: proxy.ProxySettings) -> Argv:
    """Boot the proxy with its settings recorded on the container."""
    return proxy.run_argv(settings, labels={CONFIG_LABEL: label_value(settings)})


def inspect_argv() -> Argv:
    """Prints the proxy container's state and its labels as JSON; fails when there is none."""
    return ("docker", "inspect", "--format", "{{.State.Status}} {{json .Config.Labels}}",
            proxy.CONTAINER_NAME)  # fmt: skip


@dataclass(frozen=True)
class Running:
    """The proxy container found on a host: its state, whether kamalpy booted it, its record."""

    status: str
    ours: bool
    record: Record | None


def parse_inspect(ok: bool, stdout: str) -> Running | None:
    """The `inspect_argv` answer; None when there is no proxy container."""
    status, _, labels_json = stdout.strip().partition(" ")
    if not ok or not status:
        return None
    try:
        labels = json.loads(labels_json) or {}
    except json.JSONDecodeError:
        labels = {}
    labels = labels if isinstance(labels, dict) else {}
    try:
        recorded = json.loads(labels.get(CONFIG_LABEL) or "null")
    except json.JSONDecodeError:
        recorded = None
    return Running(status, labels.get(OWNER_LABEL) == "traefik",
                   recorded if isinstance(recorded, dict) else None)  # fmt: skip


def _text(rec: Record, key: str) -> str | None:
    value = rec.get(key)
    return value if isinstance(value, str) else None


def merged(ours: proxy.ProxySettings, rec: Record | None) -> proxy.ProxySettings:
    """Our settings plus what the running proxy has that others may need (TLS, forwarded headers).

    ACME settings this service leaves unset stay as the proxy has them (another service's);
    dropping TLS or an ACME setting takes an explicit `proxy reboot`.
    """
    if rec is None:
        return ours
    wanted = ours
    https_port = rec.get("https_port")
    if not ours.ssl and rec.get("ssl") is True and isinstance(https_port, int):
        wanted = replace(wanted, ssl=True, https_port=https_port)
    if wanted.ssl:
        wanted = replace(
            wanted, acme_ca_server=wanted.acme_ca_server or _text(rec, "acme_ca_server"),
            acme_email=wanted.acme_email or _text(rec, "acme_email"),
        )  # fmt: skip
        if not wanted.acme_ca_pem and not wanted.acme_ca_digest:
            wanted = replace(wanted, acme_ca_digest=_text(rec, "acme_ca_certificates"))
    if not ours.trust_forwarded_headers and rec.get("forward_headers") is True:
        wanted = replace(wanted, trust_forwarded_headers=True)
    return wanted


def combined(settings: list[proxy.ProxySettings]) -> proxy.ProxySettings:
    """One proxy for several services on a host: the first's settings plus TLS/headers of any."""
    first, *others = settings
    wanted = first
    for other in others:
        wanted = merged(wanted, record(other))
    return wanted


def _show(value: object) -> str:
    return "unset" if value is None else json.dumps(value)


def differences(rec: Record | None, wanted: proxy.ProxySettings) -> list[str]:
    """Why the running proxy is not the wanted one, one short phrase each (empty: it is)."""
    if rec is None:
        return ["its configuration is not recorded on it (booted before kamalpy recorded it)"]
    want = record(wanted)
    keys = sorted((set(rec) | set(want)) - {"run"})
    said = [f"{k} {_show(rec.get(k))} -> {_show(want.get(k))}" for k in keys
            if rec.get(k) != want.get(k)]  # fmt: skip
    if not said and rec.get("run") != want.get("run"):
        said = ["this kamalpy runs it with other flags"]
    return said


@dataclass(frozen=True)
class Drift:
    """A running proxy to replace: with which settings, and why (one line)."""

    settings: proxy.ProxySettings
    why: str


def drift(ours: proxy.ProxySettings, running: Running | None) -> Drift | None:
    """The reconfiguration a running kamalpy proxy needs (None: absent, foreign, or as wanted)."""
    if running is None or not running.ours:
        return None
    wanted = merged(ours, running.record)
    said = differences(running.record, wanted)
    return Drift(wanted, "; ".join(said)) if said else None
