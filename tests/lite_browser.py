"""Run a chapter's first training cell in JupyterLite, in Chromium, offline.

    python tests/lite_browser.py HTML_DIR CHAPTER

serves ``HTML_DIR`` (the built book, with the JupyterLite site in ``lite/``) on
127.0.0.1, opens ``CHAPTER``'s notebook in JupyterLite in headless Chromium with every
host name but 127.0.0.1 unresolvable and every other request sent to a port nobody
listens on, runs the cells up to and including the first one that calls ``train(``,
and prints one JSON line: the seconds to a ready kernel, to the cells before training
and of the training cell, that cell's printed output, and any request that left
127.0.0.1. Every wait has a deadline; progress goes to stderr.

A script (run by tests/test_lite.py in a subprocess with a timeout of its own), so the
Playwright session never shares a process or an event loop with pytest.
"""

from __future__ import annotations

import http.server
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))

import chromium

# seconds allowed to each step
PAGE_LOAD = 120
KERNEL_READY = 180
CELLS_BEFORE = 300
TRAINING = 900

# JupyterLab's own API (window.jupyterapp, exposed by the site's settings), not the
# page's elements: the notebook renders only the cells in view.
PANEL = "window.jupyterapp?.shell?.currentWidget"
CELL_COUNT = f"() => {PANEL}?.content?.model?.cells?.length ?? -1"
KERNEL_STATUS = f"() => {PANEL}?.sessionContext?.session?.kernel?.status ?? 'none'"
RUN_CELL = (
    f"i => {{ const nb = {PANEL}.content; nb.activeCellIndex = i;"
    " window.jupyterapp.commands.execute('notebook:run-cell'); return true; }"
)
# a cell's outputs as text, and whether it has finished (it has an execution count and
# the kernel is idle again) or failed (an error output)
CELL_STATE = (
    f"i => {{ const m = {PANEL}.content.model.cells.get(i);"
    " const outs = m.outputs.toJSON();"
    " return {count: m.executionCount ?? null,"
    " error: outs.filter(o => o.output_type === 'error')"
    ".map(o => o.ename + ': ' + o.evalue).join('\\n'),"
    " text: outs.map(o => [].concat(o.text ?? o.data?.['text/plain'] ?? []).join(''))"
    ".join('')}; }"
)


def log(message: str) -> None:
    print(
        f"[lite_browser {time.strftime('%H:%M:%S')}] {message}",
        file=sys.stderr,
        flush=True,
    )


def wait(what: str, seconds: float, probe: Callable[[], Any]) -> Any:
    """Poll ``probe`` every half second until it returns something truthy."""
    deadline = time.monotonic() + seconds
    last_report = time.monotonic()
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done after {seconds:.0f} s")
        if time.monotonic() - last_report > 15:
            log(f"still waiting for {what}")
            last_report = time.monotonic()
        time.sleep(0.5)


class Quiet(chromium.QuietHandler):
    """The site's files, with the types JupyterLite's files need."""

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".json": "application/json",
        ".whl": "application/zip",
    }


def run(html: Path, chapter: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    nb = nbformat.read(html / "lite" / "files" / f"{chapter}.ipynb", as_version=4)
    training = next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and "train(" in c.source
    )
    code_cells = [i for i, c in enumerate(nb.cells[:training]) if c.cell_type == "code"]
    outside: list[str] = []
    result: dict[str, Any] = {"chapter": chapter, "training_cell": training}
    with chromium.serve(html, Quiet) as root:
        with sync_playwright() as p:
            browser = chromium.launch(p, offline=True)
            try:
                context = browser.new_context()
                context.set_default_timeout(60_000)
                context.on(
                    "request",
                    lambda r: (
                        None
                        if r.url.startswith((root, "blob:", "data:"))
                        else outside.append(r.url)
                    ),
                )
                page = context.new_page()
                page.on("pageerror", lambda e: log(f"page error: {e}"))
                start = time.monotonic()
                log(
                    f"opening {chapter} ({len(nb.cells)} cells, training cell {training})"
                )
                page.goto(f"{root}lite/notebooks/index.html?path={chapter}.ipynb")
                wait(
                    "the notebook's cells",
                    PAGE_LOAD,
                    lambda: page.evaluate(CELL_COUNT) == len(nb.cells),
                )
                log(f"notebook open after {time.monotonic() - start:.1f} s")
                wait(
                    "an idle kernel",
                    KERNEL_READY,
                    lambda: page.evaluate(KERNEL_STATUS) == "idle",
                )
                result["kernel_ready_s"] = round(time.monotonic() - start, 1)
                log(f"kernel idle after {result['kernel_ready_s']} s")
                began = time.monotonic()
                for i in code_cells:
                    state = run_cell(page, i, CELLS_BEFORE - (time.monotonic() - began))
                    result.setdefault("first_output", state["text"])
                result["cells_before_s"] = round(time.monotonic() - began, 1)
                log(
                    f"{len(code_cells)} cells before training: {result['cells_before_s']} s"
                )
                began = time.monotonic()
                state = run_cell(page, training, TRAINING)
                result["training_s"] = round(time.monotonic() - began, 1)
                result["output"] = state["text"]
                log(f"training cell: {result['training_s']} s")
            finally:
                browser.close()
    result["outside"] = outside
    return result


def run_cell(page: Any, i: int, seconds: float) -> dict[str, Any]:
    """Run cell ``i`` and wait for it to finish; an error in it is raised here. (The
    command's promise is not awaited: it settles only when the cell has run.)"""
    page.evaluate(RUN_CELL, i)

    def done() -> dict[str, Any] | None:
        state: dict[str, Any] = page.evaluate(CELL_STATE, i)
        if state["error"]:
            raise RuntimeError(f"cell {i} failed in the browser:\n{state['error']}")
        idle = page.evaluate(KERNEL_STATUS) == "idle"
        return state if state["count"] is not None and idle else None

    return wait(f"cell {i}", max(seconds, 1), done)  # type: ignore[no-any-return]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    print(json.dumps(run(Path(sys.argv[1]), sys.argv[2])))
