"""Execute one chapter on its own, the way the strict build would judge it.

``python book/_ext/run_chapter.py book/07-discounting.md`` reads the MyST file with
jupytext, runs it with nbclient in the chapter's directory, prints each slow cell's
time, and exits non-zero on a cell error or on anything written to stderr (the strict
build fails on both). A quick check while writing; ``make book`` remains the judge.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: run_chapter.py book/<chapter>.md", file=sys.stderr)
        return 2
    path = Path(argv[0])
    if not path.is_file():
        print(f"run_chapter: no such chapter: {path}", file=sys.stderr)
        return 2
    nb = jupytext.read(path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    client = NotebookClient(
        nb, timeout=1800, resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        print(str(error)[-3000:], file=sys.stderr)
        return 1
    stderr = [
        (i, out.get("text", ""))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("name") == "stderr"
    ]
    for i, text in stderr:
        print(f"cell {i} wrote to stderr:\n{text[:2000]}", file=sys.stderr)
    print(f"{path.name}: {len(nb.cells)} cells in {time.perf_counter() - start:.1f} s")
    return 1 if stderr else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
