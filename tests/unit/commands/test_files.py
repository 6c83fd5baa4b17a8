from __future__ import annotations

import pytest

from kamalpy.commands.files import install_from_stdin_argv


@pytest.mark.parametrize(
    ("path", "mode", "expected"),
    [
        (".kamal/apps/a/env/roles/web.env", "600",
         ("install", "-D", "-m", "600", "/dev/stdin", ".kamal/apps/a/env/roles/web.env")),
        ("/etc/x y", "0644", ("install", "-D", "-m", "0644", "/dev/stdin", "/etc/x y")),
    ],
)  # fmt: skip
def test_install_reads_content_from_stdin_never_argv(
    path: str, mode: str, expected: tuple[str, ...]
) -> None:
    assert install_from_stdin_argv(path, mode) == expected


@pytest.mark.parametrize(
    ("path", "parent_mode", "expected"),
    [
        (".kamal/apps/a/env/roles/web.env", "700",
         ("sh", "-c", 'mkdir -p -m "$1" "$2" && exec install -m "$3" /dev/stdin "$4"',
          "kamalpy-install", "700", ".kamal/apps/a/env/roles", "600",
          ".kamal/apps/a/env/roles/web.env")),
        ("web.env", "700", ("install", "-D", "-m", "600", "/dev/stdin", "web.env")),
    ],
)  # fmt: skip
def test_install_with_parent_mode_makes_the_directory_in_the_same_command(
    path: str, parent_mode: str, expected: tuple[str, ...]
) -> None:
    assert install_from_stdin_argv(path, "600", parent_mode=parent_mode) == expected


def test_install_rejects_a_bad_parent_mode() -> None:
    with pytest.raises(ValueError):
        install_from_stdin_argv("a/b", "600", parent_mode="u+rwx")


@pytest.mark.parametrize(
    ("path", "mode"), [("a", "rw"), ("a", "6000 "), ("", "600"), ("d/", "600")]
)
def test_install_rejects_bad_modes_and_directory_paths(path: str, mode: str) -> None:
    with pytest.raises(ValueError):
        install_from_stdin_argv(path, mode)


def test_install_defaults_to_mode_600_and_says_what_it_refused() -> None:
    assert install_from_stdin_argv("a/b.env") == (
        "install", "-D", "-m", "600", "/dev/stdin", "a/b.env",
    )  # fmt: skip
    with pytest.raises(ValueError) as bad_mode:
        install_from_stdin_argv("a/b", "rw")
    assert str(bad_mode.value) == "file mode must be octal digits like 600, got 'rw'"
    with pytest.raises(ValueError) as bad_path:
        install_from_stdin_argv("a/")
    assert str(bad_path.value) == "upload needs a file path, got 'a/'"
