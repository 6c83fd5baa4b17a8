"""Acceptance: HTTPS for real through Traefik's ACME resolver against a local ACME server.

Debian's `pebble` runs on the bed's gateway address; it resolves `secure.test` to h1 through a
private /etc/hosts (its own mount namespace) and validates HTTP-01 on h1's port 80. The client
trusts pebble's root only and checks the name; nothing reaches the internet.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.deploy_support import Service, make_service, publish
from tests.support.ci import require_tool
from tests.testbed import Bed

require_tool("pebble", "apt-get install pebble (scripts/bootstrap-host)", module_level=True)
pytestmark = pytest.mark.integration
NAME = "secure.test"


def _api_cert(directory: Path, ip: str) -> Path:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
         "-days", "2", "-subj", "/CN=pebble-api", "-addext", f"subjectAltName=IP:{ip}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return directory / "cert.pem"


@pytest.fixture(scope="module")
def pebble(bed: Bed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(ACME directory URL, pebble's log file); the API certificate is `cert.pem` beside it."""
    work = tmp_path_factory.mktemp("pebble")
    cert = _api_cert(work, bed.gateway)
    config = {"pebble": {
        "listenAddress": f"{bed.gateway}:14000", "managementListenAddress": f"{bed.gateway}:15000",
        "certificate": str(cert), "privateKey": str(work / "key.pem"),
        "httpPort": 80, "tlsPort": 443, "externalAccountBindingRequired": False,
    }}  # fmt: skip
    (work / "config.json").write_text(json.dumps(config))
    (work / "hosts").write_text(f"127.0.0.1 localhost\n{bed.host('h1').ip} {NAME}\n")
    log = work / "pebble.log"
    script = 'mount --bind "$1" /etc/hosts && exec pebble -config "$2"'
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["unshare", "--mount", "sh", "-c", script, "pebble", str(work / "hosts"),
             str(work / "config.json")],
            stdout=out, stderr=subprocess.STDOUT,
            env={"PEBBLE_VA_NOSLEEP": "1", "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while "Listening on" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        yield f"https://{bed.gateway}:14000/dir", log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def pebble_root(bed: Bed, work: Path) -> Path:
    context = ssl.create_default_context(cafile=str(work / "cert.pem"))
    url = f"https://{bed.gateway}:15000/roots/0"
    with urllib.request.urlopen(url, context=context, timeout=10) as answer:
        (work / "root.pem").write_bytes(answer.read())
    return work / "root.pem"


def https_get(ip: str, root: Path, path: str = "/version") -> tuple[str, str]:
    """(status line, body) over TLS to ip:443 with SNI secure.test, verified against root."""
    context = ssl.create_default_context(cafile=str(root))
    with (
        socket.create_connection((ip, 443), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=NAME) as tls,
    ):
        tls.sendall(f"GET {path} HTTP/1.0\r\nHost: {NAME}\r\n\r\n".encode())
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
    head, _, body = data.decode().partition("\r\n\r\n")
    return head.splitlines()[0], body


@pytest.fixture(scope="module")
def svc(
    bed: Bed, app_images: dict[str, str], traefik_image: str, pebble: tuple[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Service:  # fmt: skip
    publish(bed, "secure", ("v1",))
    directory, log = pebble
    extra = (
        "x-kamalpy:\n"
        f"  acme_ca_server: {directory}\n"
        "  acme_ca_certificates: config/acme-ca.pem\n"
        "  acme_email: ops@secure.test\n"
    )
    service = make_service(bed, tmp_path_factory.mktemp("secure"), "secure", workers=False,
                           extra=extra)  # fmt: skip
    config = service.root / "config" / "deploy.yml"  # plain HTTP first: the first test turns TLS on
    config.write_text(config.read_text().replace("hosts: [h1, h2, h3]", "hosts: [h1]"))
    shutil.copy(log.parent / "cert.pem", service.root / "config" / "acme-ca.pem")
    return service


def proxy_id(svc: Service) -> str:
    return svc.ssh("h1", "docker inspect --format '{{.Id}}' kamal-proxy").strip()


def issued(log: Path) -> int:
    return log.read_text().count("Issued certificate")


def wait_for_tls(ip: str, root: Path, seconds: float = 60) -> tuple[str, str]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return https_get(ip, root)
        except (OSError, ssl.SSLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_turning_tls_on_in_deploy_yml_reconfigures_the_running_proxy_on_the_next_deploy(
    svc: Service, bed: Bed, pebble: tuple[str, Path]
) -> None:
    """Deploy over HTTP, then `ssl: true` and deploy again: the proxy takes TLS on by itself,
    obtains a certificate over ACME and serves https; an unchanged config leaves it untouched."""
    result = svc.kamalpy("deploy", "--skip-push", "--version", "v1")
    assert result.returncode == 0, result.stdout + result.stderr
    # h1's proxy as exactly this service's HTTP config (another module may have booted it).
    rebooted = svc.kamalpy("proxy", "reboot")
    assert rebooted.returncode == 0, rebooted.stdout + rebooted.stderr
    before = proxy_id(svc)
    result = svc.kamalpy("deploy", "--skip-push", "--version", "v1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "proxy reconfigured" not in result.stdout + result.stderr
    assert proxy_id(svc) == before  # unchanged configuration: the very same container
    assert svc.get("h1") == (200, "v1\n")
    config = svc.root / "config" / "deploy.yml"
    config.write_text(
        config.read_text().replace(f"  host: {NAME}\n", f"  host: {NAME}\n  ssl: true\n")
    )
    result = svc.kamalpy("deploy", "--skip-push", "--version", "v1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "h1: proxy reconfigured (" in result.stdout and "ssl false -> true" in result.stdout
    assert "not answering for " in result.stdout
    assert proxy_id(svc) != before
    root = pebble_root(bed, pebble[1].parent)
    assert wait_for_tls(bed.host("h1").ip, root) == ("HTTP/1.0 200 OK", "v1\n")
    assert issued(pebble[1]) == 1


def test_plain_http_redirects_to_https(svc: Service, bed: Bed) -> None:
    ip = bed.host("h1").ip
    done = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
         "--resolve", f"{NAME}:80:{ip}", f"http://{NAME}/version"],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert done.stdout == f"301 https://{NAME}/version"


def test_the_certificate_survives_a_proxy_reboot_without_a_new_order(
    svc: Service, bed: Bed, pebble: tuple[str, Path]
) -> None:
    before = issued(pebble[1])
    result = svc.kamalpy("proxy", "reboot")
    assert result.returncode == 0, result.stdout + result.stderr
    root = pebble[1].parent / "root.pem"
    assert wait_for_tls(bed.host("h1").ip, root, seconds=15) == ("HTTP/1.0 200 OK", "v1\n")
    time.sleep(2)  # an order would be placed right after the proxy starts
    assert issued(pebble[1]) == before
    acme = svc.ssh("h1", "stat -c '%a %s' .kamal/proxy/acme/acme.json").split()
    assert acme[0] == "600" and int(acme[1]) > 0


def test_a_custom_certificate_from_the_secrets_store_is_served(
    svc: Service, bed: Bed, tmp_path: Path
) -> None:
    """Another service on the same proxy, its certificate and key given as secrets (no ACME)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem"),
         "-days", "2", "-subj", "/CN=custom.test", "-addext", "subjectAltName=DNS:custom.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    publish(bed, "custom", ("v1",))
    custom = make_service(bed, tmp_path / "custom", "custom", workers=False)
    config = custom.root / "config" / "deploy.yml"
    text = config.read_text().replace("hosts: [h1, h2, h3]", "hosts: [h1]")
    ssl_keys = "  ssl:\n    certificate_pem: CUSTOM_CERT_PEM\n    private_key_pem: CUSTOM_KEY_PEM\n"
    config.write_text(text.replace("  host: custom.test\n", "  host: custom.test\n" + ssl_keys))
    secrets = {
        "CUSTOM_CERT_PEM": (tmp_path / "cert.pem").read_text(),
        "CUSTOM_KEY_PEM": (tmp_path / "key.pem").read_text(),
    }
    result = custom.kamalpy("deploy", "--skip-push", "--version", "v1", extra_env=secrets)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BEGIN" not in result.stdout + result.stderr
    modes = custom.ssh("h1", "stat -c '%a' .kamal/proxy/dynamic/certs/custom-web.*").split()
    assert modes == ["600", "600"]
    context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    with (
        socket.create_connection((bed.host("h1").ip, 443), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="custom.test") as tls,
    ):
        tls.sendall(b"GET /version HTTP/1.0\r\nHost: custom.test\r\n\r\n")
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.0 200") and answer.endswith(b"v1\n")
