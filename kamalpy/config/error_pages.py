"""Read `error_pages_path`: the HTML pages the proxy serves for a service's error responses.

As in Kamal, the directory (relative to the config root) holds `4xx.html`, `5xx.html` and pages
for single statuses (`404.html`, `503.html`); other files are not pages and are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

from kamalpy.errors import ConfigError, Location

PAGE = re.compile(r"^(?:[45]xx|[45][0-9][0-9])\.html$")


def read_error_pages(
    config_path: Path, root: Path, path: str | None
) -> tuple[tuple[str, str], ...]:
    """(file name, text) of every page in the directory, sorted; () without error_pages_path."""
    if path is None:
        return ()
    where = Location(str(config_path), key="error_pages_path")
    directory = root / path
    try:
        names = sorted(p.name for p in directory.iterdir() if PAGE.match(p.name) and p.is_file())
        pages = tuple((name, (directory / name).read_text(encoding="utf-8")) for name in names)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            [(where, f"cannot read the error pages in {directory}: {error}")]
        ) from None
    if not pages:
        raise ConfigError(
            [(where, f"{directory} has no error page (4xx.html, 5xx.html or <status>.html)")]
        )
    return pages
