"""The documentation site (docs/, mkdocs.yml) and README: it builds strictly, names only commands and flags
that exist, documents every command, and says each thing once."""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

import main
from conftest import ROOT
from modules.operations import reference

PAGES = sorted((ROOT / "docs").rglob("*.md"))
GENERATED = {ROOT / path for path in reference.generated(main.parser(), main.EXIT_STATUSES) if path.suffix == ".md"}
WRITTEN = [page for page in PAGES if page not in GENERATED]
TEST_COMMAND = "bash scripts/install --dev && python3 -m pipenv run pytest"


def test_the_site_builds_strictly(tmp_path):
    """--strict: a link to a missing page or heading, or a page left out of the nav, fails the build."""
    result = subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir",
                             str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={"PATH": str(Path(sys.executable).parent), "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "reference" / "configuration" / "index.html").is_file()


def code_of(text: str) -> list[str]:
    """The code the text shows: fenced blocks' lines and inline code spans."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return [line for block in blocks for line in block.splitlines()] + re.findall(r"`([^`\n]+)`", prose)


def subcommands() -> dict[str, argparse.ArgumentParser]:
    return {name: parser for name, _, parser in reference.subcommands(main.parser())}


def mentions(text: str) -> list[tuple[str, list[str]]]:
    """Each `main.py COMMAND --flag ...` the code of `text` shows: the command and its flags."""
    found = []
    for code in code_of(text):
        for command, rest in re.findall(r"main\.py\s+([a-z][a-z-]*)([^|;&#`]*)", code):
            found.append((command, re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest)))
    return found


def test_every_command_and_flag_the_docs_name_exists():
    commands, named = subcommands(), 0
    for page in [*PAGES, ROOT / "README.md"]:
        for command, flags in mentions(page.read_text()):
            named += 1
            assert command in commands, f"{page.relative_to(ROOT)}: `main.py {command}` is no command"
            accepted = {option for action in commands[command]._actions for option in action.option_strings}
            for flag in flags:
                assert flag in accepted, f"{page.relative_to(ROOT)}: `main.py {command}` has no {flag}"
    assert named > 50


def test_the_check_finds_a_command_or_flag_that_does_not_exist():
    assert mentions("run `main.py aply --all` then\n```\nmain.py destroy network --dry-run --yes\n```\n") == [
        ("destroy", ["--dry-run", "--yes"]), ("aply", ["--all"])]


def test_every_command_is_explained_in_a_written_page():
    text = "\n".join(page.read_text() for page in WRITTEN)
    for command in subcommands():
        assert re.search(rf"main\.py {re.escape(command)}\b", text), f"no written page shows `main.py {command}`"


def paragraphs(text: str) -> list[str]:
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if len(" ".join(block.split())) >= 160
            and not block.lstrip().startswith(("|", "```", "<!--"))]


def test_no_page_repeats_another():
    seen: dict[str, Path] = {}
    for page in [*WRITTEN, ROOT / "README.md"]:
        for paragraph in paragraphs(page.read_text()):
            assert paragraph not in seen, f"{page.relative_to(ROOT)} repeats {seen[paragraph].relative_to(ROOT)}: " \
                                          f"{paragraph[:100]}"
            seen[paragraph] = page


def test_readme_is_a_front_page_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) < 200
    assert TEST_COMMAND in text and "bash scripts/install && .venv/bin/python main.py" in text
    assert (ROOT / ".ci" / "run").read_text().rstrip().splitlines()[-1] == TEST_COMMAND  # CI runs exactly it
    shown = re.search(r"```yaml\n(.*?)```", text, re.DOTALL).group(1)
    assert shown == (ROOT / "examples" / "cluster.yaml").read_text()  # the minimal configuration, as the file is


@pytest.mark.parametrize("page", [page.relative_to(ROOT / "docs").as_posix() for page in PAGES])
def test_every_page_is_in_the_navigation(page):
    assert re.search(rf":\s+{re.escape(page)}\s*$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE), page


def test_the_versions_the_docs_state_are_the_ones_doctor_checks():
    from modules.operations import doctor

    stated = {"Python": doctor.MIN_PYTHON, "Node.js": doctor.MIN_NODE, "Terraform >=": doctor.MIN_TERRAFORM}
    found = 0  # where the machine's requirements are stated (modules.md and aws6.md name the modules' own floor)
    for page in (ROOT / "README.md", ROOT / "docs" / "getting-started.md", ROOT / "docs" / "troubleshooting.md"):
        text = page.read_text()
        for name, minimum in stated.items():
            for version in re.findall(rf"{re.escape(name)} ([0-9]+(?:\.[0-9]+)?)\b", text):
                found += 1
                assert tuple(map(int, version.split("."))) == minimum, f"{page.relative_to(ROOT)}: {name} {version}"
    assert found >= 5
