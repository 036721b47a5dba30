"""Every chapter as a Jupyter notebook: offered from the page, and made by ``make notebooks``.

For each page whose source is a MyST notebook (a ``.md`` file with a jupytext header) the
Sphinx extension writes ``_sources/<page>.ipynb`` into the HTML output and sets the context
value sphinx-book-theme reads to list ".ipynb" under its download button. The notebook is
the chapter converted by jupytext, without outputs (the reader runs it). In the student
edition (``BOOK_STUDENT=1``) everything between ``solution-start`` and ``solution-end`` is
left out, code cells included.

Run as a script, it writes the notebooks of the given chapters into a folder::

    python book/_ext/notebook_download.py OUT_DIR book/01-quick-win.md ...
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from notebook_readers import for_readers

SOLUTION_START = re.compile(r"^```\{solution-start\}.*?^```[ \t]*\n?", re.M | re.S)
SOLUTION_END = re.compile(r"^```\{solution-end\}.*?^```[ \t]*\n?", re.M | re.S)


def is_myst_notebook(path: Path) -> bool:
    """A ``.md`` file with a jupytext header."""
    return path.suffix == ".md" and "jupytext:" in path.read_text(encoding="utf-8")[:500]


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop the text and cells between every solution-start and solution-end marker."""
    cells, inside = [], False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if not inside:
                cells.append(cell)
            continue
        kept, text = [], cell.source
        while text:
            marker = (SOLUTION_END if inside else SOLUTION_START).search(text)
            if marker is None:
                if not inside:
                    kept.append(text)
                break
            if not inside:
                kept.append(text[: marker.start()])
            text, inside = text[marker.end():], not inside
        source = "".join(kept).strip()
        if source:
            cell.source = source
            cells.append(cell)
    nb.cells = cells
    return nb


def write_notebook(source: Path, target: Path, *, student: bool,
                   browser: bool = False) -> None:
    """The chapter ``source`` as an ``.ipynb`` at ``target`` (no outputs), converted for
    notebook readers (``for_readers``); ``browser``: for the JupyterLite site."""
    nb = jupytext.read(source)
    if student:
        nb = strip_solutions(nb)
    nb = for_readers(nb, source, browser=browser)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.tmp.ipynb")
    jupytext.write(nb, tmp, fmt="ipynb")
    os.replace(tmp, target)


def chapters(book: Path) -> list[Path]:
    """The numbered chapters in ``book`` (the pages a notebook is made of)."""
    return sorted(p for p in book.glob("[0-9][0-9]-*.md") if is_myst_notebook(p))


def student_edition() -> bool:
    return os.environ.get("BOOK_STUDENT") == "1"


def add_notebook(app: Any, pagename: str, templatename: str, context: dict[str, Any],
                 doctree: Any) -> None:
    if doctree is None:  # generated pages (search, index) have no source
        return
    source = Path(app.env.doc2path(pagename))
    if not is_myst_notebook(source):
        return
    write_notebook(source, Path(app.outdir) / "_sources" / f"{pagename}.ipynb",
                   student=student_edition())
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Any) -> dict[str, Any]:
    # before sphinx-book-theme builds its header buttons (priority 501)
    app.connect("html-page-context", add_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    for chapter in map(Path, argv[1:]):
        write_notebook(chapter, out / f"{chapter.stem}.ipynb", student=student_edition())
        print(out / f"{chapter.stem}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
