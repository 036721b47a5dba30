"""A "launch" button on every chapter page: the chapter as a notebook in JupyterLite.

The JupyterLite site (``book/_ext/jupyterlite_build.py``, built by ``make book`` into
``lite/`` beside the pages) holds every chapter converted for notebook readers under its
own name, ``<chapter>.ipynb``. The button links to
``lite/notebooks/index.html?path=<chapter>.ipynb`` relative to the page, so the site works
wherever it is served (a GitHub Pages project site lives below ``/<repository>/``).

``make book`` builds the site only for the real book; for any other book (the tests' small
books) it sets ``BOOK_LITE=0`` and no button is added, so no page links to a missing site.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: the site's folder in the HTML output, and its one-notebook view
LITE_DIR = "lite"
LITE_NOTEBOOK = f"{LITE_DIR}/notebooks/index.html"


def launch_url(pathto: Any, chapter: str) -> str:
    """The link from a page to ``chapter`` (a page stem) opened in JupyterLite."""
    return f"{pathto(LITE_NOTEBOOK, 1)}?path={chapter}.ipynb"


def add_launch_button(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if os.environ.get("BOOK_LITE") == "0":
        return  # no JupyterLite site beside this build
    if doctree is None or "header_buttons" not in context:
        return
    source = Path(app.env.doc2path(pagename))
    if not (source.name[:2].isdigit() and context.get("ipynb_source")):
        return  # only the chapters (the pages offered as notebooks)
    context["header_buttons"].append(
        {
            "type": "group",
            "tooltip": "Run this chapter in your browser",
            "icon": "fas fa-rocket",
            "label": "launch-buttons",
            "buttons": [
                {
                    "type": "link",
                    "text": "JupyterLite",
                    "tooltip": "Open this chapter as a notebook that runs in your browser",
                    "icon": "_static/images/logo_jupyterlite.svg",
                    "url": launch_url(context["pathto"], source.stem),
                    "label": "jupyterlite-launch",
                }
            ],
        }
    )


def setup(app: Any) -> dict[str, Any]:
    # after sphinx-book-theme has made the header buttons (priority 501)
    app.connect("html-page-context", add_launch_button, priority=510)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
