"""The book's version is the package's: ``reinforce.__version__``, written nowhere else.

Sets Sphinx's ``version`` and ``release`` and shows the version under the logo in the
site's header (the theme's ``logo.text``), so the HTML, the single-page build that the
PDF is printed from, and the PDF's title page all carry the same number.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

import reinforce


def set_version(app: Sphinx, config: Config) -> None:
    config.version = config.release = reinforce.__version__
    logo = dict(config.html_theme_options.get("logo", {}))
    logo["text"] = f"{config.html_title} {reinforce.__version__}"
    config.html_theme_options = {**config.html_theme_options, "logo": logo}


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", set_version)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
