"""How the doc-snippet test reads markdown (tests/doc_snippets.py): fences, markers, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doc_snippets import SnippetError, doc_files, snippets

GUIDE = """# A guide

```sh
API=http://127.0.0.1:8000
```

Output is text:

```
{"status": "ok"}
```

<!-- not run: needs a Google client id -->
```python
client = make_client()
```

- In a list:

  ```bash
  curl -s $API/healthz
  ```

Four spaces make an indented block, which is text:

    <!-- not run: an example of the marker -->
    ```sh
    make run

```graphql
{ viewer { userId } }
```
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "guide.md"
    path.write_text(text)
    return path


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    return _write(tmp_path, GUIDE)


def test_snippets_are_the_sh_bash_and_python_fences_with_their_markers(guide: Path) -> None:
    found = snippets(guide)

    assert [(s.line, s.language, s.not_run) for s in found] == [
        (3, "sh", None),
        (14, "python", "needs a Google client id"),
        (20, "sh", None),
    ]
    assert found[0].code == "API=http://127.0.0.1:8000\n"
    assert found[2].code == "curl -s $API/healthz\n"  # the list item's indent removed
    assert found[1].where == f"{guide}:14"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- not run: stray -->\n\n```sh\ntrue\n```\n", "right before"),
        ("<!-- not run: text -->\n```json\n{}\n```\n", "right before"),
        ("<!-- not run: -->\n```sh\ntrue\n```\n", "without a reason"),
        ("```sh\ntrue\n", "never closed"),
    ],
)
def test_a_misplaced_marker_or_an_open_fence_is_an_error(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(SnippetError, match=message):
        snippets(_write(tmp_path, text))


def test_the_docs_read_cleanly() -> None:
    files = doc_files()

    assert files[0].name == "README.md"
    assert {path.name for path in files} >= {"auth.md", "graphql.md", "functions.md"}
    assert all(snippets(path) is not None for path in files)
