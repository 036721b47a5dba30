"""Let the single-page HTML build (the PDF's source) render every node the HTML build does.

Sphinx looks up a node's HTML handlers under the builder's name and falls back to its
format ("html") only when no extension registered any handler under that name. Some
extensions register handlers for ``singlehtml``, so the nodes of the others (sphinx-proof's
theorems, for one) would have none there. This copies the missing ones over.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def copy_html_handlers(app: Sphinx) -> None:
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visit_depart in handlers.get("html", {}).items():
        single.setdefault(node, visit_depart)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", copy_html_handlers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
