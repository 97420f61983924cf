"""Every make command the docs quote (README.md, docs/*.md) is one the Makefile has, with variables its recipe
reads, and what it runs parses: `make -n` prints the command, and the operator command's own parser reads its
arguments. A runbook step that names a flag or a variable nobody implemented fails here."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from tests.conftest import ROOT

QUOTED = re.compile(r"`(make [a-z][a-z0-9-]*(?: [A-Z_]+=[^`\s]*)*)[^`]*`")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Targets that do more than run one operator command (a synth, the suite, Terraform), checked as targets only.
NOT_OPS = {"synth", "test", "e2e", "docs", "lint", "cdktn", "bench", "scan", "cli", "cli-synth", "validate", "plan",
           "deploy", "review", "install", "clean", "check-node"}  # fmt: skip


def quoted_commands() -> list[tuple[str, str]]:
    found = set()
    for page in PAGES:
        for command in QUOTED.findall(page.read_text()):
            found.add((page.name, command.replace("…", "x")))
    return sorted(found)


def recipe(target: str) -> str:
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n?)*)", text, re.MULTILINE)
    assert match, f"no make target {target}"
    return match[1]


def test_the_docs_quote_make_commands() -> None:
    assert len(quoted_commands()) > 15


@pytest.mark.parametrize(("page", "command"), quoted_commands(), ids=str)
def test_each_quoted_make_command_runs_what_it_says(page: str, command: str) -> None:
    words = shlex.split(command)
    target, variables = words[1], dict(w.split("=", 1) for w in words[2:])
    body = recipe(target)
    for name in variables:
        assert f"$({name})" in body or f",$({name})" in body, f"{page}: make {target} does not read {name}"
    if target in NOT_OPS:
        return
    values = {**{"ENV": "dev", "FROM": "2026-11-20", "TO": "2026-11-21", "Q": "failed-logins-by-ip"}, **variables}
    printed = subprocess.run(["make", "-n", "--no-print-directory", target, *[f"{k}={v}" for k, v in values.items()]],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout  # fmt: skip
    line = next(line for line in printed.replace("\\\n", " ").splitlines() if " -m ops " in line)
    arguments = shlex.split(line.split(" -m ops ", 1)[1])
    if arguments[0] == "query":
        from ops.local_athena import main as query_main

        with pytest.raises(SystemExit) as asked:  # its parser reads the arguments, then --help stops it
            query_main([*arguments[1:], "--help"], out=lambda _: None)
        assert asked.value.code == 0
        return
    if arguments[0] == "detections":
        from ops.detections import main as detections_main

        with pytest.raises(SystemExit) as asked:  # its parser reads the arguments, then --help stops it
            detections_main([*arguments[1:], "--help"], out=lambda _: None)
        assert asked.value.code == 0
        return
    if arguments[0] == "cost":
        return
    from ops.__main__ import parser

    parser().parse_args(arguments)  # an unknown flag or a missing value exits 2 here
