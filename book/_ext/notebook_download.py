"""Offer every chapter as a Jupyter notebook from the page's download button.

For each page whose source is a MyST notebook (a ``.md`` file with a jupytext header)
this writes ``_sources/<page>.ipynb`` into the HTML output — the same conversion as
``make notebooks`` (jupytext, no outputs: the reader runs it) — and sets the context
value sphinx-book-theme reads to list ".ipynb" under its download button.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jupytext
from sphinx.application import Sphinx


def _is_myst_notebook(path: Path) -> bool:
    return path.suffix == ".md" and "jupytext:" in path.read_text(encoding="utf-8")[:500]


def add_notebook(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                 doctree: Any) -> None:
    if doctree is None:  # generated pages (search, index) have no source
        return
    source = Path(app.env.doc2path(pagename))
    if not _is_myst_notebook(source):
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(jupytext.read(source), target, fmt="ipynb")
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    # before sphinx-book-theme builds its header buttons (priority 501)
    app.connect("html-page-context", add_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
