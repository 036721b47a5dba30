"""The per-cell timeout from the environment, and the time every executed cell took.

* ``BOOK_CELL_TIMEOUT=SECONDS`` in the environment (``make book BOOK_CELL_TIMEOUT=3600``)
  overrides the per-cell timeout of ``_config.yml`` (``execute.timeout``). The timeout
  guards against a hung cell; it is not a speed bar.
* Every chapter's kernel writes how long each of its cells ran to
  ``_build/cell_times.jsonl`` (one JSON object a line: ``doc``, ``cell``, ``seconds``,
  ``source``, the cell's first line); ``tests/test_book.py`` checks that no cell takes
  more than about a minute.

myst-nb keeps only a whole notebook's run time (its execution table), so the kernel
times the cells itself: the build points ``IPYTHONDIR`` at ``_build/.ipython``, whose
startup file registers IPython's ``pre_run_cell`` and ``post_run_cell`` events. The
startup code leaves no name behind in the chapters' namespace.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError

TIMES = "cell_times.jsonl"

STARTUP = '''\
def _book_cell_timer():
    import json
    import os
    import time

    start = [0.0]
    count = [0]
    first = [""]

    def pre(info):
        first[0] = next(iter((info.raw_cell or "").strip().splitlines()), "")
        start[0] = time.perf_counter()

    def post(result):
        seconds = time.perf_counter() - start[0]
        count[0] += 1
        record = {"doc": os.environ.get("BOOK_CELL_DOC", ""), "cell": count[0],
                  "seconds": round(seconds, 3), "source": first[0][:80]}
        with open(os.environ["BOOK_CELL_TIMES"], "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\\n")

    get_ipython().events.register("pre_run_cell", pre)
    get_ipython().events.register("post_run_cell", post)


if "BOOK_CELL_TIMES" in __import__("os").environ:
    _book_cell_timer()
del _book_cell_timer
'''


def timeout_from_environment(app: Sphinx, config: Config) -> None:
    text = os.environ.get("BOOK_CELL_TIMEOUT", "").strip()
    if not text:
        return
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise ConfigError(f"BOOK_CELL_TIMEOUT must be a whole number of seconds >= 1, "
                          f"got {text!r}")
    config.nb_execution_timeout = seconds


def start_timing(app: Sphinx) -> None:
    build = Path(app.outdir).parent
    startup = build / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "50-cell-times.py").write_text(STARTUP, encoding="utf-8")
    # the one-page build for the PDF (make pdf) reuses the chapters: it keeps its own file
    times = build / (TIMES if app.builder.name == "html" else f"{app.builder.name}-{TIMES}")
    times.write_text("", encoding="utf-8")  # this build's cells only
    os.environ["IPYTHONDIR"] = str(build / ".ipython")  # inherited by every kernel
    os.environ["BOOK_CELL_TIMES"] = str(times)


def name_the_chapter(app: Sphinx, docname: str, source: list[str]) -> None:
    os.environ["BOOK_CELL_DOC"] = docname  # read just before the chapter is executed


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", timeout_from_environment)
    app.connect("builder-inited", start_timing)
    app.connect("source-read", name_the_chapter)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
