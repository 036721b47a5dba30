"""The student edition: with ``BOOK_STUDENT=1`` in the environment, drop every solution.

sphinx-exercise removes solutions when its ``hide_solutions`` option is set; this
sets it from the environment so that ``make book-student`` needs no second config.
"""

from __future__ import annotations

import os
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config


def hide_solutions(app: Sphinx, config: Config) -> None:
    if os.environ.get("BOOK_STUDENT") == "1":
        config.hide_solutions = True


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", hide_solutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
