"""An image saved once as a tar, and thinner copies that leave out layers a host already has.

Docker's `docker load` reads a layer's tar only when the engine lacks that layer chain, so a
tar without the leading layers a host holds loads fine there and is much smaller.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
import threading
from pathlib import Path

from kamalpy.commands.docker_build import save_to_file_argv
from kamalpy.executor.base import LOCAL, Executor, ExecutorBase


class ImageArchive(ExecutorBase):
    """`docker save --output` run once on first use, in a private temp dir removed on close."""

    def __init__(self, executor: Executor, references: tuple[str, ...]) -> None:
        self._executor = executor
        self._references = references
        self._dir: Path | None = None
        self._thin: dict[int, Path] = {}
        self._lock = threading.Lock()

    def thin(self, skip_leading_layers: int) -> Path:
        """A tar without the first `skip_leading_layers` layer files (built once per count)."""
        with self._lock:
            if skip_leading_layers not in self._thin:
                full = self._saved()
                path = full.with_name(f"thin-{skip_leading_layers}.tar")
                write_thin_tar(full, path, skip_leading_layers)
                self._thin[skip_leading_layers] = path
            return self._thin[skip_leading_layers]

    def _saved(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="kamalpy-image-"))
            full = self._dir / "image.tar"
            self._executor.run(LOCAL, save_to_file_argv(str(full), *self._references))
        return self._dir / "image.tar"

    def close(self) -> None:
        """Remove the temp dir and every tar in it."""
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def write_thin_tar(source: Path, dest: Path, skip_leading_layers: int) -> None:
    """Copy the image tar `source` to `dest` without its first N layer files."""
    with tarfile.open(source) as full, tarfile.open(dest, "w") as thin:
        skip = set(_layer_files(full)[:skip_leading_layers])
        for member in full:
            if member.name in skip:
                continue
            thin.addfile(member, full.extractfile(member) if member.isfile() else None)


def _layer_files(archive: tarfile.TarFile) -> list[str]:
    """The layer files of the (single) image in a `docker save` tar, base layer first."""
    handle = archive.extractfile("manifest.json")
    if handle is None:
        raise ValueError("docker save output has no manifest.json")
    manifest = json.load(handle)
    if len(manifest) != 1:
        raise ValueError(f"expected one image in the tar, found {len(manifest)}")
    return [str(layer) for layer in manifest[0]["Layers"]]
