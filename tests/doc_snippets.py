"""The runnable snippets of README.md and docs/*.md, as the doc-snippet test reads them.

A fenced block whose language is ``sh``, ``bash``, ``shell`` or ``python`` is a snippet:
the test (tests/integration/test_doc_snippets.py) runs every one of a file, in order,
against a fresh ``baas dev`` of the example app. A snippet that cannot run there (a
production host, a provider's secret, a browser, a command that never returns) carries
a marker on the line right before its fence, which the test counts and lists:

    <!-- not run: needs a Google client id -->
    ```sh
    ...
    ```

Every other fenced block (output, ``json``, ``graphql``, ``js``, ``ini``) is text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MARKER", "NOT_RUN", "Snippet", "SnippetError", "doc_files", "snippets"]

ROOT = Path(__file__).resolve().parents[1]

# The languages the test runs, by the name the fence uses.
LANGUAGES = {"sh": "sh", "bash": "sh", "shell": "sh", "python": "python"}
# Up to three spaces before either (a list item's block); four make an indented code
# block, which is text (as the example in this docstring is).
MARKER = re.compile(r"^ {0,3}<!--\s*not run:\s*(?P<reason>.*?)\s*-->\s*$")
_FENCE = re.compile(r"^(?P<indent> {0,3})```(?P<info>[^`]*)$")


class SnippetError(ValueError):
    """A markdown file whose fences or markers the test cannot read as intended."""


@dataclass(frozen=True)
class Snippet:
    """One runnable fenced block: where it is, what it says, and why it is not run."""

    path: Path
    line: int  # 1-based line of the opening fence
    language: str  # "sh" or "python"
    code: str
    not_run: str | None = None  # the marker's reason

    @property
    def where(self) -> str:
        shown = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{shown}:{self.line}"


# The marked snippets the session met, listed at its end (tests/integration/conftest.py).
NOT_RUN: list[Snippet] = []


def doc_files() -> list[Path]:
    """README.md and every guide under docs/, in a stable order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def snippets(path: Path) -> list[Snippet]:
    """The runnable snippets of ``path`` in order; a marker anywhere but before one is an error."""
    lines = path.read_text().splitlines()
    found: list[Snippet] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            if MARKER.match(lines[index]) and not _marks_snippet(lines, index):
                raise SnippetError(
                    f"{path.name}:{index + 1}: a 'not run' marker must be the line right"
                    " before a ```sh, ```bash, ```shell or ```python fence"
                )
            index += 1
            continue
        indent = len(opening["indent"])
        end = index + 1
        while end < len(lines) and not _closes(lines[end], indent):
            end += 1
        if end == len(lines):
            raise SnippetError(f"{path.name}:{index + 1}: a fence that is never closed")
        language = LANGUAGES.get(opening["info"].strip().split(" ")[0])
        if language is not None:
            body = "\n".join(line[indent:] for line in lines[index + 1 : end])
            marker = MARKER.match(lines[index - 1]) if index > 0 else None
            if marker is not None and not marker["reason"]:
                raise SnippetError(f"{path.name}:{index}: a 'not run' marker without a reason")
            found.append(
                Snippet(
                    path=path,
                    line=index + 1,
                    language=language,
                    code=body + "\n",
                    not_run=marker["reason"] if marker else None,
                )
            )
        index = end + 1
    return found


def _closes(line: str, indent: int) -> bool:
    return line[:indent].strip() == "" and line[indent:].rstrip() == "```"


def _marks_snippet(lines: list[str], index: int) -> bool:
    if index + 1 >= len(lines):
        return False
    fence = _FENCE.match(lines[index + 1])
    return fence is not None and fence["info"].strip().split(" ")[0] in LANGUAGES
