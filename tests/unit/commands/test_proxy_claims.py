"""Route claims on a shared proxy: read back from the files kamalpy writes, collisions named."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kamalpy.commands import proxy, proxy_claims
from kamalpy.commands.proxy_claims import ANY_HOST, claims_of, conflicts, conflicts_within


def route_file(name: str, hosts: tuple[str, ...], prefixes: tuple[str, ...] = ()) -> bytes:
    route = proxy.Route(name, hosts, prefixes, f"{name}-v1", 80, ssl=True)
    return proxy.render_dynamic_config(route, version="v1")


@pytest.mark.parametrize(
    ("hosts", "prefixes", "claims"),
    [
        ((), (), {(ANY_HOST, "/")}),
        (("A.test",), (), {("a.test", "/")}),
        (("a.test", "b.test"), ("/api/",), {("a.test", "/api"), ("b.test", "/api")}),
        (("a.test",), ("/x", "/y"), {("a.test", "/x"), ("a.test", "/y")}),
    ],
)
def test_claims_written_into_a_route_file_read_back_the_same(
    hosts: tuple[str, ...], prefixes: tuple[str, ...], claims: set[tuple[str, str]]
) -> None:
    assert claims_of(hosts, prefixes) == claims
    rule = proxy.router_rule(hosts, prefixes)
    assert proxy_claims.claims_of_rule(rule) == claims


def test_read_script_prints_each_file_after_a_marker(tmp_path: Path) -> None:
    dynamic = tmp_path / proxy.DYNAMIC_DIR
    dynamic.mkdir(parents=True)
    (dynamic / "shop-web.yml").write_bytes(route_file("shop-web", ("shop.test",)))
    (dynamic / "blog-web.yml").write_bytes(route_file("blog-web", ("blog.test",), ("/b",)))
    (dynamic / ".shop-web.v2.tmp").write_text("ignored: not a route file")
    (dynamic / "broken.yml").write_text("http: [unclosed")
    argv = proxy_claims.read_routes_argv()
    out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert proxy_claims.parse_routes(out) == {
        "shop-web": {("shop.test", "/")},
        "blog-web": {("blog.test", "/b")},
    }  # a file that is not valid YAML claims nothing


def test_an_empty_directory_has_no_routes(tmp_path: Path) -> None:
    argv = proxy_claims.read_routes_argv()
    out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert proxy_claims.parse_routes(out) == {}


def test_same_host_and_path_collide_naming_both_routes() -> None:
    ours = {"shop-web": claims_of(("shop.test",), ("/api",))}
    others = {
        "shop-web": claims_of(("shop.test",), ("/api",)),  # our own file: a redeploy
        "blog-web": claims_of(("shop.test", "blog.test"), ("/api",)),
        "admin-web": claims_of(("shop.test",), ("/admin",)),  # other path: fine
        "any-web": claims_of((), ()),  # any host, "/": a different claim
    }
    found = conflicts(ours, others)
    assert [(c.ours, c.theirs) for c in found] == [("shop-web", "blog-web")]
    assert found[0].describe() == "shop-web and blog-web both claim shop.test/api"


def test_services_deployed_together_collide_among_themselves() -> None:
    routes = [
        ("a-web", claims_of(("x.test",), ())),
        ("b-web", claims_of(("y.test",), ())),
        ("c-web", claims_of(("x.test", "y.test"), ())),
    ]
    assert [(c.ours, c.theirs) for c in conflicts_within(routes)] == [
        ("c-web", "a-web"), ("c-web", "b-web"),
    ]  # fmt: skip


def test_a_conflict_names_every_shared_claim_sorted_any_host_in_words() -> None:
    shared = frozenset({("b.test", "/x"), (ANY_HOST, "/"), ("a.test", "/")})
    described = proxy_claims.Conflict("web-a", "web-b", shared).describe()
    assert described == "web-a and web-b both claim any host/, a.test/, b.test/x"


def test_every_collision_among_routes_deployed_together_is_kept_with_its_shared_claims() -> None:
    routes = [
        ("one", claims_of(("a.test", "b.test"), ())),
        ("two", claims_of(("a.test",), ())),
        ("three", claims_of(("b.test", "c.test"), ())),
    ]
    found = conflicts_within(routes)
    assert [(c.ours, c.theirs, c.claims) for c in found] == [
        ("two", "one", {("a.test", "/")}),
        ("three", "one", {("b.test", "/")}),
    ]


def test_route_names_keep_their_inner_dots_and_odd_files_claim_what_they_can() -> None:
    mark = "#@kamalpy-route-file "
    output = (
        f"\n{mark}shop.web.yml\n" + route_file("shop.web", ("shop.test",)).decode()
        + f"\n{mark}list.yml\n- a\n- b\n"
        + f"\n{mark}scalar.yml\nhttp: 5\n"
        + f"\n{mark}norule.yml\nhttp:\n  routers:\n    r: {{service: s}}\n"
    )  # fmt: skip
    assert proxy_claims.parse_routes(output) == {
        "shop.web": {("shop.test", "/")},
        "list": frozenset(),
        "scalar": frozenset(),
        "norule": {(ANY_HOST, "/")},  # a router without a rule answers every request
    }


def test_only_slashes_are_trimmed_from_a_prefix() -> None:
    assert claims_of(("a.test",), ("/boX/", "/X")) == {("a.test", "/boX"), ("a.test", "/X")}
