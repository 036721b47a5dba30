"""Drop repeated ``<script>`` tags from every page.

sphinx-thebe (added by Jupyter Book) registers an inline script that declares
``const THEBE_JS_URL``; with Sphinx 7 it reaches each page twice, and the second copy
is a JavaScript error ("Identifier 'THEBE_JS_URL' has already been declared") in the
console of every page. Identical scripts are dropped here, keeping the first.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def dedupe(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
           doctree: Any) -> None:
    # an inline script is registered once with filename None and once with "": same script
    scripts = context.get("script_files", [])
    seen: set[tuple[str, int, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for js in scripts:
        key = (str(js.filename or ""), js.priority, tuple(sorted(js.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique  # in place: the list is the builder's own, shared with other handlers


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", dedupe, priority=900)  # after every script is added
    return {"parallel_read_safe": True, "parallel_write_safe": True}
