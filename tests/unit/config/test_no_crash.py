"""Property: whatever a deploy.yml holds (mappings, odd scalars, any text), loading gives a
Configuration or a ConfigError, never another exception (the CLI would print a traceback)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kamalpy.config import GitInfo, load_config
from kamalpy.config.erbexpr import ShellOutput
from kamalpy.config.schema import SECTIONS, section_root
from kamalpy.errors import ConfigError


def _known_keys() -> list[str]:
    keys: set[str] = set()
    pending = [section_root(name) for name in SECTIONS]
    while pending:
        shape = pending.pop()
        keys.update(shape.fields)
        for shapes in shape.fields.values():
            pending.extend(shapes)
        pending.extend(shape.items + shape.wildcard)
    return sorted(keys)


KEYS = st.sampled_from([*_known_keys(), "web", "x-extra", "10.0.0.1"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["10.0.0.1", "amd64", "25%", "a:b", "localhost:5555", "<%= 1 %>"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)
BASE: dict[str, Any] = {
    "service": "app",
    "image": "acme/app",
    "servers": {"web": {"hosts": ["10.0.0.1"]}},
    "builder": {"arch": "amd64"},
    "registry": {"server": "localhost:5555"},
}


def _nearly_valid(section: str, inner: str, value: Any) -> dict[str, Any]:
    """The valid base with one random value placed at the top level and inside a section."""
    document = {**BASE, section: {inner: value}}
    document["servers"] = {"web": {"hosts": ["10.0.0.1"], inner: value}}
    return document


DOCUMENTS = st.one_of(
    st.dictionaries(KEYS, VALUES, max_size=8),
    st.builds(_nearly_valid, KEYS, KEYS, VALUES),
    st.builds(lambda key, value: {**BASE, key: value}, KEYS, VALUES),
    st.builds(
        lambda key, value: {
            **BASE,
            "accessories": {"db": {"image": "pg", "host": "h", key: value}},
        },
        KEYS,
        VALUES,
    ),
    st.builds(
        lambda key, value: {**BASE, "proxy": {"ssl": True, "host": "a.example.com", key: value}},
        KEYS,
        VALUES,
    ),
)


@settings(
    max_examples=150,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(DOCUMENTS)
def test_any_document_loads_or_fails_with_config_error(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "deploy.yml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        try:
            load_config(path, destination=None, environ={}, version="v1", git=GitInfo(None))
        except ConfigError as error:
            assert error.problems


TEXT_PIECES = st.sampled_from(
    [
        "service: app\n",
        "image: a/b\n",
        "servers:\n  - 10.0.0.1\n",
        "servers: {web: {hosts: [h1]}}\n",
        "builder: {arch: amd64}\n",
        "registry: {server: localhost:5555}\n",
        "ssh: {port: ",
        "ssh: {user: ",
        "proxy: {healthcheck: {interval: ",
        "<%= ENV['X'] %>",
        '<%= ENV.fetch("X", "d").split(",").first %>',
        "<% x = 1 %>",
        "<%= x ? 1 : 2 %>",
        "<% if true %>",
        "<% end %>",
        "<%= `printf abc` %>",
        "<%= %x(",
        '"#{',
        "- ",
        ": ",
        "&a ",
        "*a",
        "<<: *a\n",
        "\n  ",
        "}",
        "]",
        "-1",
        "99999",
        "'",
        "\\",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(TEXT_PIECES, st.text(max_size=6)), max_size=14).map("".join),
)
ODD_SCALARS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["-oProxyCommand=x", "h1;x", "a b", "`x`", "$(x)", "-1", "0", "1e9", "%"]),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
PLACES = st.sampled_from(
    [
        ("servers", 0),
        ("ssh", "port"),
        ("ssh", "user"),
        ("ssh", "proxy"),
        ("proxy", "app_port"),
        ("readiness_delay",),
        ("volumes", 0),
        ("boot", "limit"),
        ("hooks_path",),
    ]
)


def _place(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """The valid base with `value` at `path` (an index means a one-item list)."""
    document: dict[str, Any] = {**BASE, "servers": ["10.0.0.1"]}
    if len(path) == 1:
        document[str(path[0])] = value
    elif isinstance(path[1], int):
        document[str(path[0])] = [value]
    else:
        document[str(path[0])] = {path[1]: value}
    return document


def _load_text(text: str, shell: Any = None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "deploy.yml"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(
                path,
                destination=None,
                environ={"X": "1"},
                version="v1",
                git=GitInfo(None),
                shell=shell,
                warn=lambda _text: None,
            )
        except ConfigError as error:
            assert error.problems
            assert "Traceback" not in error.render()


@settings(
    max_examples=300,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(TEXTS)
def test_any_text_loads_or_fails_with_config_error(text: str) -> None:
    _load_text(text, shell=lambda command, directory: ShellOutput("out\n", 0))


@settings(
    max_examples=200,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)
@given(PLACES, ODD_SCALARS)
def test_odd_values_where_hosts_ports_and_paths_go_fail_cleanly(
    path: tuple[str | int, ...], value: Any
) -> None:
    _load_text(yaml.safe_dump(_place(path, value)))
