"""Pure: error pages (`error_pages_path`) served by the proxy for one service's error responses.

Traefik cannot serve files itself, so its `errors` middleware fetches the page from a small web
server beside it: one container per host (`kamal-proxy-pages`, busybox httpd on the `kamal`
network, never published) serving `~/.kamal/proxy/error_pages/`, where each service has its own
directory. A service's routers get the middlewares; other services' routes are untouched. The
response keeps its status (404, 502, 503…) and gets the page as its body.
"""

from __future__ import annotations

from collections.abc import Sequence

Argv = tuple[str, ...]

PAGES_DIR = ".kamal/proxy/error_pages"
CONTAINER_NAME = "kamal-proxy-pages"
DEFAULT_IMAGE = "busybox:1.37"
PORT = 8080
LABEL = "org.kamalpy.proxy=error-pages"
SERVICE_SUFFIX = "-error-pages"


def pages_dir(service: str, destination: str | None) -> str:
    """The service's page directory name under PAGES_DIR: `<service>[-<dest>]`."""
    return "-".join(p for p in (service, destination) if p)


def page_path(service: str, destination: str | None, name: str) -> str:
    """Where one page lives on the host, relative to the ssh user's home."""
    return f"{PAGES_DIR}/{pages_dir(service, destination)}/{name}"


def remove_pages_argv(service: str, destination: str | None) -> Argv:
    """Remove the service's pages from the host."""
    return ("rm", "-rf", "--", f"{PAGES_DIR}/{pages_dir(service, destination)}")


def server_running_argv() -> Argv:
    """Prints the page server's state; fails when there is none."""
    return ("docker", "inspect", "--format", "{{.State.Status}}", CONTAINER_NAME)


def server_run_argv(image: str) -> Argv:
    """Boot the page server; `sh -c` only to make the mount source absolute via $HOME."""
    mount = f'"$HOME/{PAGES_DIR}:/pages:ro"'
    script = f'mkdir -p "$HOME/{PAGES_DIR}" && exec docker run --volume {mount} "$@"'
    return ("sh", "-c", script, "kamalpy-pages-boot", "--detach", "--init", "--restart",
            "unless-stopped", "--name", CONTAINER_NAME, "--network", "kamal", "--label", LABEL,
            image, "httpd", "-f", "-p", str(PORT), "-h", "/pages")  # fmt: skip


def server_remove_argv() -> Argv:
    """Remove the page server (with the proxy, when no route is left on the host)."""
    return ("docker", "rm", "--force", CONTAINER_NAME)


def _ranges(low: int, high: int, taken: set[int]) -> list[str]:
    """Traefik status ranges covering low..high without the codes that have their own page."""
    spans: list[str] = []
    start = low
    for code in [*sorted(c for c in taken if low <= c <= high), high + 1]:
        if code > start:
            spans.append(f"{start}-{code - 1}" if code - 1 > start else str(start))
        start = code + 1
    return spans


def middlewares(route_name: str, directory: str, pages: Sequence[str]) -> dict[str, object]:
    """The `errors` middlewares of one route: own pages first, then 4xx.html and 5xx.html."""
    codes = {int(p[:3]) for p in pages if p[:3].isdigit()}
    service = route_name + SERVICE_SUFFIX
    found: dict[str, object] = {}
    if codes:
        found[f"{route_name}-error-pages"] = {"errors": {
            "status": [str(c) for c in sorted(codes)], "service": service,
            "query": f"/{directory}/{{status}}.html",
        }}  # fmt: skip
    for family, low in (("4xx", 400), ("5xx", 500)):
        spans = _ranges(low, low + 99, codes)
        if f"{family}.html" in pages and spans:
            found[f"{route_name}-error-pages-{family}"] = {"errors": {
                "status": spans, "service": service, "query": f"/{directory}/{family}.html",
            }}  # fmt: skip
    return found


def pages_service() -> dict[str, object]:
    """The Traefik service the `errors` middlewares fetch pages from."""
    return {"loadBalancer": {"servers": [{"url": f"http://{CONTAINER_NAME}:{PORT}"}]}}
