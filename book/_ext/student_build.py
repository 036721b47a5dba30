"""The student edition: with ``BOOK_STUDENT=1`` in the environment, drop every solution.

sphinx-exercise's own ``hide_solutions`` option drops only the opening marker of a gated
solution (``solution-start`` … ``solution-end``): the content in between stays and the
closing marker breaks the HTML writer. So instead, once sphinx-exercise has merged each
gated solution into one solution node, this removes those nodes whole, text and code
cells alike. Exercises keep their numbers and labels, so links to them still work.
"""

from __future__ import annotations

import os
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx_exercise.nodes import solution_node


def student_edition() -> bool:
    return os.environ.get("BOOK_STUDENT") == "1"


def remove_solutions(app: Sphinx, doctree: nodes.document) -> None:
    if not student_edition():
        return
    registry = getattr(app.env, "sphinx_exercise_registry", {})
    for node in list(doctree.findall(solution_node)):
        registry.pop(node.get("label"), None)
        node.parent.remove(node)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", remove_solutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
