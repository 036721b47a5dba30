"""Helpers shared by several test modules: the command line as a user runs it, a
complete run directory, and chapters converted to notebooks.

Imported as ``_helpers`` (pytest puts tests/ on ``sys.path``; tests/conftest.py puts
``book/_ext`` there, which :func:`convert_chapters` imports from).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- the command line

#: ``python -m reinforce``, with this interpreter
CLI = [sys.executable, "-m", "reinforce"]
#: the files every finished ``train`` run directory holds
RUN_FILES = {
    "config.json",
    "history.csv",
    "policy.npz",
    "policy.json",
    "learning_curve.png",
    "summary.json",
}


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m reinforce ARGS`` in a subprocess, to the end; output captured."""
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )


def start_cli(*args: str, **popen: Any) -> subprocess.Popen[str]:
    """``python -m reinforce ARGS`` started in a subprocess (to signal it)."""
    return subprocess.Popen(
        [*CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def assert_complete_run(out: Path) -> None:
    """A directory written by train: every file there, each one loadable."""
    from reinforce.checkpoint import load_policy
    from reinforce.cli import read_run_config

    names = {p.name for p in out.iterdir()}
    assert names >= RUN_FILES, names
    config = read_run_config(out)
    load_policy(out / "policy.npz")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (
        summary["episodes"] == len((out / "history.csv").read_text().splitlines()) - 1
    )
    assert summary["seed"] == config.seed


# ---------------------------------------------------------------- notebooks

#: MyST left in a Markdown cell: a role ({ref}`x`), a directive fence or a target line
MYST = re.compile(
    r"\{[a-z]+(?::[a-z]+)?\}`|^\s*(`{3,}|:{3,})\{|^\s*\([\w:.-]+\)=\s*$", re.M
)


def convert_chapters(out: Path, *, browser: bool = False) -> dict[str, Path]:
    """Every chapter converted to a notebook in ``out`` (for download, or with
    ``browser=True`` for the JupyterLite site), by chapter name."""
    import notebook_download

    made: dict[str, Path] = {}
    for chapter in notebook_download.chapters(ROOT / "book"):
        target = out / f"{chapter.stem}.ipynb"
        notebook_download.write_notebook(
            chapter, target, student=False, browser=browser
        )
        made[chapter.stem] = target
    return made
