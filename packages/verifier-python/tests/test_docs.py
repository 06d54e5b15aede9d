"""docs/INTEGRATION.md shows no Python that is not tested: every Python block there is an excerpt
of an example service in examples/python/, which the other tests run against a real Gatehouse."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _windows(lines, size):
    for start in range(len(lines) - size + 1):
        yield textwrap.dedent("\n".join(lines[start:start + size]))


def test_every_python_block_of_the_integration_guide_is_an_excerpt_of_a_tested_example():
    guide = (ROOT / "docs/INTEGRATION.md").read_text(encoding="utf8")
    blocks = re.findall(r"^```python\n(.*?)^```$", guide, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) >= 5, "the Python section shows Flask, Django, FastAPI, introspection and migration"
    sources = [path.read_text(encoding="utf8").splitlines() for path in sorted((ROOT / "examples/python").rglob("*.py"))]
    for block in blocks:
        wanted = textwrap.dedent(block).rstrip("\n")
        size = len(wanted.splitlines())
        assert any(wanted == window for lines in sources for window in _windows(lines, size)), f"not an excerpt of examples/python:\n{block}"
