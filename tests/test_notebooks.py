"""Chapters as notebooks for readers outside the book: no MyST left in any Markdown cell
(references become links, citations author-year text, exercises plain Markdown, glued values
the value the cell computes), and a converted chapter runs in plain Jupyter (nbclient, no
myst_nb)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import notebook_download
import notebook_readers
import pytest
from _helpers import MYST, ROOT, convert_chapters

CHAPTERS = notebook_download.chapters(ROOT / "book")


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every chapter converted for download."""
    return convert_chapters(tmp_path_factory.mktemp("notebooks"))


def test_no_myst_left_in_any_notebook(converted):
    assert len(converted) >= 15
    for chapter, path in converted.items():
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                left = MYST.search(cell.source)
                assert left is None, f"{chapter}: {left.group(0)!r}"
            else:
                assert "myst_nb" not in cell.source, chapter
        assert nb.metadata.kernelspec.name == "python3", chapter


def test_policy_network_notebook_reads_as_plain_markdown(converted):
    nb = nbformat.read(converted["02-policy-network"], as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    # the reference to chapter 1 is a link to its published page, under its title
    assert (
        "[Quick win: REINFORCE balances a pole](book/01-quick-win.html#ch-quick-win)"
        in text
    )
    assert "$$\nh = \\max(0,\\, W_1 s)" in text  # {math} became display maths
    assert "**Exercise.**" in text
    assert "def forward(" in text  # the literalinclude'd source is in the notebook


def test_references_point_to_existing_pages_and_anchors(converted):
    link = re.compile(r"\]\(book/([\w-]+)\.html#([\w:.-]+)\)")
    found = 0
    for path in converted.values():
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for page, anchor in link.findall(
                cell.source if cell.cell_type == "markdown" else ""
            ):
                found += 1
                source = (ROOT / "book" / f"{page}.md").read_text(encoding="utf-8")
                label = anchor.removeprefix("equation-")
                assert label in source, f"#{anchor} is not in {page}"
    assert found > 50


def test_citations_become_author_year():
    assert notebook_readers.cite("williams1992", textual=False) == "(Williams 1992)"
    assert notebook_readers.cite("williams1992", textual=True) == "Williams (1992)"


def test_converted_notebook_runs_in_plain_jupyter(converted):
    """The policy-network chapter, run by nbclient with no myst_nb."""
    import nbclient

    nb = nbformat.read(converted["02-policy-network"], as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    printed = "".join(
        o.get("text", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("name") == "stdout"
    )
    assert re.search(r"^H = 100$", printed, re.M), printed[:500]
