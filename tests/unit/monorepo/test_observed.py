"""Reading back what runs: the label listing of one host, parsed."""

from __future__ import annotations

import json

from kamalpy.commands.running import RUNNING_FORMAT, running_containers_argv
from kamalpy.monorepo.observed import parse_running

SHA = "b" * 40


def line(name: str, image: str, labels: dict[str, str]) -> str:
    return f"/{name}\t{image}\t{json.dumps(labels)}"


def test_running_argv_lists_running_labelled_containers_in_one_command() -> None:
    argv = running_containers_argv()
    assert argv[:2] == ("sh", "-c")
    assert "--filter label=service --filter status=running" in argv[2]
    assert argv[3] == RUNNING_FORMAT


def test_parse_labelled_and_kamal_containers() -> None:
    text = "\n".join(
        [
            line(
                "api-web-v9",
                "reg/api:v9",
                {
                    "service": "api",
                    "role": "web",
                    "destination": "",
                    "kamalpy.image-digest": "i1",
                    "kamalpy.runtime-digest": "r1",
                    "kamalpy.revision": SHA,
                    "kamalpy.runtime-parts": '{"env.clear.A":"12"}',
                },
            ),
            line(
                f"web-web-staging-{SHA}",
                f"reg/web:{SHA}",
                {"service": "web", "role": "web", "destination": "staging"},
            ),
            "garbage line",
            line("other", "x", {"no": "service"}),
        ]
    )
    api, web = parse_running("h1", text)
    assert (api.host, api.name, api.labelled, api.version) == ("h1", "api-web-v9", True, "v9")
    assert api.source_revision == SHA
    assert api.runtime_parts == (("env.clear.A", "12"),)
    assert (web.labelled, web.version, web.source_revision) == (False, SHA, SHA)


def test_labels_with_commas_and_tabs_in_values_survive() -> None:
    labels = {"service": "api", "role": "web", "destination": "", "note": "a,b=c"}
    (found,) = parse_running("h2", line("api-web-1", "i", labels))
    assert found.service == "api" and found.version == "1"
