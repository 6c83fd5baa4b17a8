from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from kamalpy.executor.imagetar import write_thin_tar

LAYERS = ["l1/layer.tar", "l2/layer.tar", "l3/layer.tar"]


def make_image_tar(path: Path, manifest: object) -> None:
    """A tar shaped like `docker save` output: layer dirs, config, manifest."""
    files = {name: name.encode() * 2000 for name in LAYERS}
    files.update(
        {"l1/json": b"{}", "cfg.json": b"{}", "manifest.json": json.dumps(manifest).encode()}
    )
    with tarfile.open(path, "w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def names(path: Path) -> list[str]:
    with tarfile.open(path) as archive:
        return archive.getnames()


def test_thin_tar_leaves_out_only_the_leading_layers(tmp_path: Path) -> None:
    full, thin = tmp_path / "full.tar", tmp_path / "thin.tar"
    make_image_tar(full, [{"Config": "cfg.json", "RepoTags": ["a:1"], "Layers": LAYERS}])
    write_thin_tar(full, thin, 2)
    assert names(thin) == ["l3/layer.tar", "l1/json", "cfg.json", "manifest.json"]
    assert thin.stat().st_size < full.stat().st_size
    with tarfile.open(thin) as archive:
        handle = archive.extractfile("l3/layer.tar")
        assert handle is not None and handle.read() == b"l3/layer.tar" * 2000


def test_thin_tar_refuses_a_tar_with_several_images(tmp_path: Path) -> None:
    full = tmp_path / "full.tar"
    entry = {"Config": "cfg.json", "RepoTags": [], "Layers": LAYERS}
    make_image_tar(full, [entry, entry])
    with pytest.raises(ValueError, match="expected one image"):
        write_thin_tar(full, tmp_path / "thin.tar", 1)
