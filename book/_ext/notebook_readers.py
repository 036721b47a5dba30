"""A chapter notebook converted for readers who open it outside the book.

The chapters are MyST notebooks: their Markdown uses Sphinx roles and directives that only
the book renders. ``for_readers`` turns a chapter notebook (as jupytext reads it) into
plain Jupyter Markdown and code:

- glued values (``{glue:text}`name```) become the variable's name in code style; the
  cell that computes a value prints it (a stand-in ``glue`` replaces myst_nb's), and the
  first cell says so;
- references (``{ref}``, ``{numref}``, ``{eq}``, ``{prf:ref}``) become links to the
  published page (``BOOK_URL`` plus the page, or relative to the site when unset);
- citations become short author–year text from ``book/references.bib``;
- exercises, solutions, proofs and algorithms become bold-headed paragraphs, ``{math}``
  blocks ``$$`` display maths, ``{literalinclude}`` the included source as a code block;
- the kernel is Python's: ``python3`` natively, ``python`` (Pyodide) in the browser.

In the browser (``browser=True``) a first cell installs the package from the site and
says that light mode (``reinforce.lite``) is on.
"""

from __future__ import annotations

import ast
import os
import re
import textwrap
from functools import cache
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

BOOK = Path(__file__).resolve().parents[1]
#: where the book is published (links from notebooks go there); relative when unset
BOOK_URL = os.environ.get("BOOK_URL", "").rstrip("/")

ROLE = re.compile(r"\{([a-z]+(?::[a-z]+)?)\}`([^`]*)`")
FENCE = re.compile(
    r"^([ \t]*)(`{3,}|:{3,})\{([a-z:-]+)\}[ \t]*([^\n]*)\n(.*?)^\1\2[ \t]*$",
    re.M | re.S,
)
TARGET = re.compile(r"^\s*\(([\w:.-]+)\)=\s*$\n?", re.M)
DOLLAR_LABEL = re.compile(r"\$\$[ \t]*\(([\w:.-]+)\)")
OPTION = re.compile(r"^:([\w-]+):[ \t]*(.*)$")
GLUE_IMPORT = re.compile(r"^from myst_nb import glue[ \t]*$", re.M)

GLUE_STAND_IN = '''\
def glue(name, value, display=True):
    """Prints a value the book shows in its text (the book glues it there)."""
    print(f"{name} = {value!r}")
'''
HEADINGS = {
    "exercise": "Exercise",
    "solution-start": "Solution",
    "prf:proof": "Proof",
    "prf:algorithm": "Algorithm",
    "prf:lemma": "Lemma",
    "prf:theorem": "Theorem",
    "prf:definition": "Definition",
    "note": "Note",
    "tip": "Tip",
    "warning": "Warning",
    "important": "Important",
    "admonition": "",
}
DROPPED = {"solution-end", "nb-exec-table", "bibliography"}

FIRST_CELL = """\
*This notebook is a chapter of the book *REINFORCE from Scratch*, converted to run on its
own.* Where the book shows a computed number in its text, this notebook shows the name of
the variable in code style (`like_this`); the cell that computes it prints
`name = value`. Links go to the book's pages."""

BROWSER_CELL = """\
**Running in your browser.** This notebook runs in JupyterLite: Python (Pyodide) runs
inside this page, nothing is installed on your computer, and your changes stay in this
browser until you download the notebook. The first start is the slow one: the browser
downloads Python and NumPy and starts them. The cell below installs the book's package,
`reinforce`, from this site.

**Light mode is on** (`reinforce.lite`): NumPy runs many times slower here than on a
laptop, so a `Config` with the reference post's hyperparameters on CartPole-v1 gets the
`fast` preset's batch, vectorised environments, optimiser and step instead; the config a
cell prints is the one that trains. Numbers therefore differ from the book's, experiments
over many seeds are slow, and where a chapter compares settings, a check the book makes of
its own runs (an `assert`) can fail here: the text describes the book's runs."""

CANNOT_RUN = """\
**This chapter cannot run in the browser.** It needs {what}, which Pyodide does not
provide. Read it here, and run it on your own machine (`pip install -e .[mujoco,dask]`
in a clone of the book's repository)."""


@cache
def labels() -> dict[str, tuple[str, str]]:
    """Every label in the book: label -> (page, anchor)."""
    found: dict[str, tuple[str, str]] = {}
    for page in sorted(BOOK.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for label in TARGET.findall(text):
            found[label] = (page.stem, label)
        for label, heading in re.findall(
            r"^\(([\w:.-]+)\)=\s*\n#+[ \t]*(.+)$", text, re.M
        ):
            titles()[label] = heading.strip()
        for label in re.findall(r"^[ \t]*:label:[ \t]*([\w:.-]+)", text, re.M):
            anchor = f"equation-{label}" if label.startswith("eq-") else label
            found.setdefault(label, (page.stem, anchor))
        for label in re.findall(r"^[ \t]*:?name:[ \t]*([\w:.-]+)[ \t]*$", text, re.M):
            found.setdefault(label, (page.stem, label))  # figures made by code cells
        for label in DOLLAR_LABEL.findall(text):
            found[label] = (page.stem, f"equation-{label}")
    return found


@cache
def titles() -> dict[str, str]:
    """Section labels -> their headings (filled by ``labels``)."""
    return {}


def page_url(page: str, anchor: str = "") -> str:
    path = f"book/{page}.html" + (f"#{anchor}" if anchor else "")
    return f"{BOOK_URL}/{path}" if BOOK_URL else path


@cache
def citations() -> dict[str, tuple[str, str]]:
    """Every reference in references.bib: key -> (authors, year), authors as "A", "A and
    B" or "A et al."."""
    from pybtex.database import parse_file

    entries = parse_file(str(BOOK / "references.bib")).entries
    found = {}
    for key, entry in entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        last = [
            " ".join(p.last_names).replace("{", "").replace("}", "") for p in people
        ]
        if len(last) > 2:
            who = f"{last[0]} et al."
        else:
            who = " and ".join(last) or key
        found[key] = (who, entry.fields.get("year", "n.d."))
    return found


def cite(keys: str, textual: bool) -> str:
    refs = [citations()[k.strip()] for k in keys.split(",")]
    if textual:
        return "; ".join(f"{who} ({year})" for who, year in refs)
    return "(" + "; ".join(f"{who} {year}" for who, year in refs) + ")"


def split_target(content: str) -> tuple[str | None, str]:
    """``text <target>`` -> (text, target); ``target`` -> (None, target)."""
    m = re.fullmatch(r"(.*?)\s*<([^>]+)>", content, re.S)
    return (m.group(1), m.group(2)) if m else (None, content)


def reference(role: str, content: str) -> str:
    text, target = split_target(content)
    target = target.lstrip("#")
    if role == "doc":
        page = Path(target).stem
        return f"[{text or page}]({page_url(page)})"
    if target not in labels():
        raise ValueError(f"{role} to unknown label {target!r}")
    page, anchor = labels()[target]
    if text is None:
        text = {"eq": "this equation", "numref": "this figure"}.get(role, target)
        text = titles().get(target, text)
        if role == "prf:ref":
            text = "this algorithm"
    text = text.replace("%s", "").replace("{number}", "").strip() or target
    return f"[{text}]({page_url(page, anchor)})"


def replace_role(m: re.Match[str]) -> str:
    role, content = m.group(1), m.group(2)
    if role.startswith("glue"):
        return f"`{content.split(':')[0].strip()}`"
    if role in ("ref", "numref", "eq", "prf:ref", "doc"):
        return reference(role, content)
    if role in ("cite:p", "cite", "cite:ps"):
        return cite(content, textual=False)
    if role in ("cite:t", "cite:ts"):
        return cite(content, textual=True)
    if role == "math":
        return f"${content}$"
    if role in ("code", "literal", "command", "file", "kbd"):
        return f"`{content}`"
    return content  # {sub}, {abbr}... : the text itself


def included(argument: str, options: dict[str, str], source: Path) -> str:
    """The code a ``{literalinclude}`` shows."""
    path = (source.parent / argument).resolve()
    text = path.read_text(encoding="utf-8")
    if "pyobject" in options:
        node: ast.AST = ast.parse(text)
        for part in options["pyobject"].split("."):
            node = next(
                n
                for n in ast.iter_child_nodes(node)
                if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
                and n.name == part
            )
        assert isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        text = "\n".join(text.splitlines()[first - 1 : node.end_lineno])
    if "lines" in options:
        lines = text.splitlines()
        chosen: list[str] = []
        for part in options["lines"].split(","):
            lo, _, hi = part.partition("-")
            chosen += lines[int(lo) - 1 : int(hi or lo)]
        text = "\n".join(chosen)
    if "dedent" in options:
        text = textwrap.dedent(text)
    language = options.get("language", "python")
    return f"```{language}\n{text.rstrip()}\n```"


def replace_directive(m: re.Match[str], source: Path) -> str:
    indent, name, argument = m.group(1), m.group(3), m.group(4).strip()
    options: dict[str, str] = {}
    lines = textwrap.dedent(m.group(5)).split("\n")
    while lines and OPTION.match(lines[0]):
        key, value = OPTION.match(lines[0]).groups()  # type: ignore[union-attr]
        options[key] = value.strip()
        lines.pop(0)
    body = convert_markdown("\n".join(lines).strip("\n"), source)
    return textwrap.indent(
        directive_markdown(name, argument, options, body, source), indent
    )


def directive_markdown(
    name: str, argument: str, options: dict[str, str], body: str, source: Path
) -> str:
    """A directive's Markdown, unindented."""
    if name in DROPPED:
        return ""
    if name == "math":
        return f"$$\n{body}\n$$"
    if name == "literalinclude":
        return included(argument, options, source)
    if name in ("figure", "image"):
        return f"![{body}]({argument})"
    heading = HEADINGS.get(name, name.split(":")[-1].capitalize())
    if name.startswith("solution"):
        argument = ""  # the exercise's label
    title = " ".join(p for p in (heading, argument) if p)
    return f"**{title}.**\n\n{body}" if title else body


def convert_markdown(text: str, source: Path) -> str:
    text = FENCE.sub(lambda m: replace_directive(m, source), text)
    text = TARGET.sub("", text)
    text = DOLLAR_LABEL.sub("$$", text)
    return ROLE.sub(replace_role, text).strip()


def needs_native(nb: nbformat.NotebookNode) -> str | None:
    """What a chapter needs that Pyodide lacks (MuJoCo, Dask), or None."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    missing = [
        what
        for what, pattern in (
            ("MuJoCo", r"mujoco|InvertedPendulum"),
            ("Dask", r"\bdask\b|distributed|Client\("),
        )
        if re.search(pattern, code, re.I)
    ]
    return " and ".join(missing) or None


def for_readers(
    nb: nbformat.NotebookNode, source: Path, *, browser: bool = False
) -> nbformat.NotebookNode:
    """``nb`` (chapter ``source``) for readers outside the book; see the module doc."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(cell.source, source)
            if not cell.source:
                continue
        elif cell.cell_type == "code":
            cell.source = GLUE_IMPORT.sub(GLUE_STAND_IN.rstrip(), cell.source)
        cells.append(cell)
    first = [new_markdown_cell(FIRST_CELL)]
    if browser:  # light mode is stated in the first cell
        first = [new_markdown_cell(f"{FIRST_CELL}\n\n{BROWSER_CELL}")]
        what = needs_native(nb)
        if what:
            first.append(new_markdown_cell(CANNOT_RUN.format(what=what)))
        first.append(
            new_code_cell(
                "%pip install -q reinforce-from-scratch sympy\n"
                "import reinforce.lite\n"
                "print('light mode:', reinforce.lite.ACTIVE)"
            )
        )
        nb.metadata["kernelspec"] = {
            "name": "python",
            "display_name": "Python (Pyodide)",
            "language": "python",
        }
    else:
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
    nb.metadata.pop("jupytext", None)
    nb.cells = first + cells
    return nb
