"""The local side of an accessory's `files`: read (ERB rendered, as Kamal does) with their mode.

Only the config layer reads the user's files; the accessory flow receives bytes and modes.
A local path is relative to the configuration root (the directory holding `config/`); a
directory is uploaded file by file. ERB files (`*.erb`) are rendered with the same safe
evaluator and environment as deploy.yml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kamalpy.config.erb import render
from kamalpy.config.erbexpr import ErbContext
from kamalpy.config.gitinfo import git_info_from_files
from kamalpy.config.model import Accessory, AccessoryFile
from kamalpy.errors import ConfigError, Location


@dataclass(frozen=True)
class LocalFile:
    """One file to upload: where under the mount's remote path, its content and its mode."""

    mount: AccessoryFile
    relative: str  # "" for a single file, else its path inside the uploaded directory
    content: bytes
    mode: str


def _read(root: Path, path: Path, context: ErbContext) -> bytes:
    if path.suffix == ".erb":
        text = path.read_text(encoding="utf-8")
        return render(text, str(path.relative_to(root)), context).encode("utf-8")
    return path.read_bytes()


def _mode(mount: AccessoryFile, path: Path) -> str:
    if mount.mode:
        return mount.mode.lstrip("0").rjust(3, "0")
    return f"{path.stat().st_mode & 0o777:03o}"


def accessory_files(
    root: Path, acc: Accessory, environ: Mapping[str, str]
) -> tuple[LocalFile, ...]:
    """Every file of `acc.files`, rendered and read; ConfigError naming the missing one."""
    git = git_info_from_files(root)
    context = ErbContext(environ, lambda: git.head, lambda n: (root / n).read_text("utf-8"))
    out: list[LocalFile] = []
    for index, mount in enumerate(acc.files):
        local = root / mount.local
        where = Location(f"accessories/{acc.name}/files/{index}")
        try:
            if local.is_dir():
                for path in sorted(p for p in local.rglob("*") if p.is_file()):
                    content = _read(root, path, context)
                    rel = str(path.relative_to(local))
                    out.append(LocalFile(mount, rel, content, _mode(mount, path)))
            else:
                out.append(LocalFile(mount, "", _read(root, local, context), _mode(mount, local)))
        except FileNotFoundError:
            raise ConfigError([(where, f"file not found: {local}")]) from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError([(where, f"cannot read {local}: {error}")]) from None
    return tuple(out)
