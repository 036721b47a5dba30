"""Fit the code cells of chapters to the width of the page's text column.

At a 1280-px window a listing shows 88 characters (80 inside an exercise or a solution,
which are boxed); tests/test_book.py fails the browser test on any listing that overflows.
This rewrites the visible code cells of the given chapters so no line is longer, without
changing what the code does: a trailing comment that makes a line too long moves onto its
own line above it, ruff formats the statements that are still too long, and a run of
adjacent string literals that still runs past the limit is refilled, cut at spaces (the
same value). Every changed cell is checked to parse to the same syntax tree as before;
lines that cannot be fitted this way are printed, to be shortened by hand.

    python book/_ext/fit_listings.py book/07-discounting.md ...
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

import jupytext

TOP, BOXED = 88, 80  # characters that fit: in the text column, inside an admonition
RUFF = Path(sys.executable).with_name("ruff")


def lift_comments(source: str, limit: int) -> str:
    """A trailing comment that makes a line too long goes on its own line above it."""
    lines = source.splitlines()
    moves = {}
    for tok in tokenize.generate_tokens(io.StringIO(source + "\n").readline):
        row, col = tok.start
        line = lines[row - 1] if row <= len(lines) else ""
        if tok.type == tokenize.COMMENT and line[:col].strip() and len(line) > limit:
            moves[row] = col
    for row in sorted(moves, reverse=True):
        line, col = lines[row - 1], moves[row]
        indent = line[: len(line) - len(line.lstrip())]
        lines[row - 1 : row] = [indent + line[col:].strip(), line[:col].rstrip()]
    return "\n".join(lines)


def ruff_format_long(source: str, limit: int) -> str:
    """Ruff's formatting of just the statements with a line longer than ``limit``."""
    with tempfile.TemporaryDirectory() as tmp:
        cell = Path(tmp) / "cell.py"
        cell.write_text(source + "\n", encoding="utf-8")
        long = [n for n, line in enumerate(source.splitlines(), 1) if len(line) > limit]
        for n in reversed(long):  # bottom up: formatting a line moves the ones below it
            width = len(cell.read_text(encoding="utf-8").splitlines()[n - 1])
            subprocess.run([str(RUFF), "format", "--isolated", "--line-length", str(limit),
                            "--range", f"{n}:1-{n}:{width + 1}", str(cell)],
                           check=True, capture_output=True)
        return cell.read_text(encoding="utf-8").rstrip("\n")


def _words(content: str, braces: bool) -> list[str]:
    """``content`` cut after each space outside f-string braces (the pieces join back)."""
    words, depth, word = [], 0, ""
    for ch in content:
        if braces:
            depth += {"{": 1, "}": -1}.get(ch, 0)
        word += ch
        if ch == " " and depth == 0:
            words.append(word)
            word = ""
    return [*words, word] if word else words


def _rewrap(lines: list[str], run: list[tokenize.TokenInfo], limit: int) -> list[str] | None:
    """The lines of a run of adjacent string literals, refilled up to ``limit``; None if
    the run is not plain and f-strings with one kind of quote."""
    if any(t.string.lstrip("fF").startswith(('"""', "'''")) for t in run):
        return None  # docstrings and other triple-quoted strings are left alone
    parts = [re.fullmatch(r"([fF]?)(['\"])(.*)\2", t.string, re.S) for t in run]
    if any(p is None for p in parts) or len({p.group(2) for p in parts if p}) > 1:
        return None
    quote = parts[0].group(2) if parts[0] else '"'
    if any(not p.group(1) and ("{" in p.group(3) or "}" in p.group(3)) for p in parts if p):
        return None  # braces in a plain string would become placeholders in an f-string
    fstring = any(p.group(1) for p in parts if p)
    col = run[1].start[1] if len(run) > 1 else run[0].start[1]
    head = lines[run[0].start[0] - 1][: run[0].start[1]]
    tail = lines[run[-1].end[0] - 1][run[-1].end[1]:]
    words = _words("".join(p.group(3) for p in parts if p), fstring)
    pieces, piece, indent = [], "", len(head)
    for word in words:
        if piece and indent + len(piece + word) + 3 + len(tail) > limit:
            pieces.append(piece)
            piece, indent = "", col
        piece += word
    pieces.append(piece)
    out = [("f" if fstring and "{" in text else "") + quote + text + quote for text in pieces]
    out = [head + out[0], *(" " * col + x for x in out[1:])]
    out[-1] += tail
    return None if any(len(x) > limit for x in out) else out


def fill_strings(source: str, limit: int) -> str:
    """Refill each run of adjacent string literals (implicit concatenation, one per line)
    that has a line longer than ``limit``: the same value, cut at spaces outside f-string
    braces, each line as full as the limit allows."""
    resume = 1  # rows before this one are done
    while True:
        lines = source.splitlines()
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source + "\n").readline)
                  if t.type not in (tokenize.NL, tokenize.COMMENT)]
        i = 0
        while i < len(tokens):
            run = [tokens[i]]
            if run[0].type != tokenize.STRING or run[0].start[0] < resume:
                i += 1
                continue
            while (i + len(run) < len(tokens) and tokens[i + len(run)].type == tokenize.STRING
                   and tokens[i + len(run)].start[0] == run[-1].end[0] + 1):
                run.append(tokens[i + len(run)])
            i += len(run)
            rows = range(run[0].start[0], run[-1].end[0] + 1)
            if any(t.start[0] != t.end[0] for t in run) or all(
                    len(lines[r - 1]) <= limit for r in rows):
                continue
            new = _rewrap(lines, run, limit)
            if new is None:
                continue
            candidate = "\n".join([*lines[: rows[0] - 1], *new, *lines[rows[-1]:]])
            try:
                ast.parse(candidate)
            except SyntaxError:  # a string at statement level cannot be split: left alone
                continue
            source, resume = candidate, rows[0] + len(new)
            break
        else:
            return source


def fit(source: str, limit: int) -> str:
    """``source`` with every line fitted to ``limit`` where that can be done safely."""
    lines = source.splitlines()
    if all(len(line) <= limit for line in lines) or any(
            line.lstrip().startswith(("%", "!")) for line in lines):  # IPython magics
        return source
    new = fill_strings(ruff_format_long(lift_comments(source, limit), limit), limit)
    if ast.dump(ast.parse(new)) != ast.dump(ast.parse(source)):
        raise ValueError(f"fitting changed the code of this cell:\n{source}")
    return new


def fit_chapter(path: Path) -> list[str]:
    """Rewrite the chapter in place; return the lines still too long."""
    text = path.read_text(encoding="utf-8")
    in_solution, left = False, []
    for cell in jupytext.reads(text, fmt="md:myst").cells:
        if cell.cell_type == "markdown":
            start, end = (cell.source.rfind(m) for m in ("{solution-start}", "{solution-end}"))
            in_solution = start > end if max(start, end) >= 0 else in_solution
            continue
        if {"remove-input", "remove-cell"} & set(cell.metadata.get("tags", [])):
            continue  # not shown
        limit = BOXED if in_solution else TOP
        new = fit(cell.source, limit)
        if new != cell.source:
            assert text.count(cell.source) == 1, f"cell not unique in {path}: {cell.source[:60]}"
            text = text.replace(cell.source, new)
        left += [f"{path}: {len(line)} > {limit}: {line.strip()}"
                 for line in new.splitlines() if len(line) > limit]
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return left


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    left = [line for chapter in argv for line in fit_chapter(Path(chapter))]
    print("\n".join(left))
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
