"""The book: its build is strict, nothing executed is committed, and the site works in a browser.

* ``book`` tests build small throw-away books with the real ``_config.yml`` and the real
  ``make book`` recipe, and show that a cell that raises, a cell that warns and a reference
  to a missing label each fail the build; the real book is built once per session.
* ``browser`` tests open every page of the built site in Debian's Chromium.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def toc_chapters() -> list[str]:
    """The chapters (``book/<nn>-<slug>``) the table of contents lists, root included."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    entries = [*toc.get("chapters", []),
               *(c for part in toc.get("parts", []) for c in part.get("chapters", []))]
    files = [toc["root"], *(c["file"] for c in entries)]
    return [Path(f).name for f in files if re.fullmatch(r"book/\d\d-[\w-]+", f)]


CHAPTERS = toc_chapters()
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".ico", ".pdf"}


def make(target: str, log: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run ``make target`` at the top of the repository, the whole output going to ``log``."""
    args = ["make", "--no-print-directory", target, *(f"{k}={v}" for k, v in variables.items())]
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.run(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True,
                              check=False)


ANSI = re.compile(r"\x1b\[[0-9;]*m")
PROBLEM = re.compile(r"WARNING:|ERROR:|Exception|Traceback|Error\b")


def tail(log: Path, lines: int = 30) -> str:
    """What went wrong in a build log: every warning and error line, then the last lines."""
    text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace")).splitlines()
    problems = [line for line in text if PROBLEM.search(line) and "IPKernelApp" not in line]
    return "\n".join(["-- problems:", *problems[:40], "-- last lines:", *text[-lines:]])


# ---------------------------------------------------------------- nothing executed is committed


def test_every_chapter_is_in_the_table_of_contents():
    """A chapter file the table of contents forgets is silently left out of the build."""
    on_disk = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]-*.md"))
    assert on_disk == sorted(CHAPTERS), (
        f"chapters not in _toc.yml: {sorted(set(on_disk) - set(CHAPTERS))}; "
        f"listed but missing: {sorted(set(CHAPTERS) - set(on_disk))}")


def test_no_results_committed_under_book():
    """Chapters are sources: no image (but the logo and favicon) and no executed notebook."""
    listed = subprocess.run(["git", "ls-files", "-z", "--", "book"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.split("\0")
    files = [Path(f) for f in listed if f]
    assert files, "git lists no file under book/"
    images = [f for f in files if f.suffix.lower() in IMAGE_SUFFIXES
              and not f.name.startswith(("logo.", "favicon."))]
    assert not images, f"images committed under book/ (figures come from executed code): {images}"
    notebooks = [f for f in files if f.suffix == ".ipynb"]
    executed = [f for f in notebooks
                if any(c.get("outputs") or c.get("execution_count")
                       for c in json.loads((ROOT / f).read_text(encoding="utf-8"))["cells"])]
    assert not executed, f"executed notebooks committed under book/: {executed}"


# ---------------------------------------------------------------- strictness, on small books

MINI_CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

(ch-mini)=
# A small chapter

The answer is {{glue:text}}`answer`.

```{{code-cell}} ipython3
from myst_nb import glue

glue("answer", 6 * 7, display=False)
```

```{{exercise}}
:label: ex-mini-1

What is the answer?
```

```{{solution-start}} ex-mini-1
:class: dropdown
```

THE-SOLUTION-TEXT

```{{solution-end}}
```
{extra}
"""


def mini_book(path: Path, extra: str = "") -> Path:
    """A copy of the book's configuration and machinery with one small chapter."""
    path.mkdir()
    shutil.copy(ROOT / "_config.yml", path / "_config.yml")
    shutil.copytree(ROOT / "book" / "_ext", path / "book" / "_ext",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "book" / "_static", path / "book" / "_static")
    shutil.copytree(ROOT / "book" / "_extra", path / "book" / "_extra")
    shutil.copy(ROOT / "book" / "references.bib", path / "book" / "references.bib")
    (path / "_toc.yml").write_text("format: jb-book\nroot: book/00-mini\n", encoding="utf-8")
    (path / "book" / "00-mini.md").write_text(MINI_CHAPTER.format(extra=extra), encoding="utf-8")
    return path


@pytest.mark.book
def test_small_book_builds_with_its_solution(tmp_path):
    """The control: without a fault the small book builds, glue and solution included."""
    book = mini_book(tmp_path / "ok")
    log = tmp_path / "build.log"
    assert make("book", log, BOOK_DIR=str(book)).returncode == 0, tail(log)
    html = (book / "_build" / "html" / "book" / "00-mini.html").read_text(encoding="utf-8")
    assert re.search(r"The answer is (<[^>]*>)*42\b", html), "the glued number is missing"
    assert "THE-SOLUTION-TEXT" in html


FAULTS = {
    "raises": ("```{code-cell} ipython3\nraise RuntimeError('boom in a cell')\n```",
               "boom in a cell"),
    "warns": ("```{code-cell} ipython3\nimport numpy as np\nnp.float64(1.0) / 0.0\n```",
              "stderr was found in the cell outputs"),
    "missing-reference": ("See {ref}`no-such-label`.", "no-such-label"),
}


@pytest.mark.book
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_fails_the_build(tmp_path, fault):
    extra, evidence = FAULTS[fault]
    book = mini_book(tmp_path / "bad", extra="\n" + extra + "\n")
    log = tmp_path / "build.log"
    proc = make("book", log, BOOK_DIR=str(book))
    assert proc.returncode != 0, f"a chapter that {fault} did not fail the build:\n{tail(log)}"
    assert evidence in log.read_text(encoding="utf-8", errors="replace"), tail(log)


@pytest.mark.book
def test_student_build_has_no_solutions(tmp_path):
    book = mini_book(tmp_path / "student")
    log = tmp_path / "build.log"
    assert make("book-student", log, BOOK_DIR=str(book)).returncode == 0, tail(log)
    html = book / "_build" / "student" / "_build" / "html"
    text = (html / "book" / "00-mini.html").read_text(encoding="utf-8")
    assert "What is the answer?" in text
    assert "THE-SOLUTION-TEXT" not in text
    notebook = (html / "_sources" / "book" / "00-mini.ipynb").read_text(encoding="utf-8")
    assert "What is the answer?" in notebook
    assert "THE-SOLUTION-TEXT" not in notebook and "solution-end" not in notebook


# ---------------------------------------------------------------- the real book


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make book`` once per session: the strict build of the real book into _build/html."""
    log = tmp_path_factory.mktemp("book") / "build.log"
    proc = make("book", log)
    assert proc.returncode == 0, f"make book failed:\n{tail(log)}"
    return ROOT / "_build" / "html"


@pytest.mark.book
def test_real_book_builds(built_book):
    for chapter in CHAPTERS:
        assert (built_book / "book" / f"{chapter}.html").is_file(), chapter
    status = (built_book / "book" / "status.html").read_text(encoding="utf-8")
    for chapter in CHAPTERS:  # the execution table names every chapter
        assert f"book/{chapter}" in status, chapter


@pytest.mark.book
def test_every_chapter_offers_its_notebook(built_book):
    import nbformat

    for chapter in CHAPTERS:
        page = (built_book / "book" / f"{chapter}.html").read_text(encoding="utf-8")
        assert f'href="../_sources/book/{chapter}.ipynb"' in page, f"no download in {chapter}"
        nb = nbformat.read(built_book / "_sources" / "book" / f"{chapter}.ipynb", as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and not any(c.outputs for c in code), chapter


@pytest.mark.book
def test_make_notebooks(tmp_path):
    log = tmp_path / "notebooks.log"
    assert make("notebooks", log).returncode == 0, tail(log)
    made = sorted(p.stem for p in (ROOT / "_build" / "notebooks").glob("*.ipynb"))
    assert set(CHAPTERS) <= set(made)


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="session")
def site(built_book: Path) -> Iterator[str]:
    """The built site served over HTTP on the loopback interface."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def browser(site: str):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with  apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def site_pages(built_book: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to its root."""
    skip = {"_static", "_sources", "_images"}
    return sorted(p.relative_to(built_book).as_posix() for p in built_book.rglob("*.html")
                  if not skip & set(p.relative_to(built_book).parts))


# Text outside code that MathJax should have replaced.
RAW_MATH = re.compile(r"\$\$|\\\(|\\\[|\\begin\{")

PAGE_REPORT = """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
  return {
    text: clone.innerText,
    math: document.querySelectorAll('.math').length,
    mjx: document.querySelectorAll('mjx-container').length,
    badImages: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
                                   .map(i => i.src.slice(0, 80)),
    images: document.images.length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  };
}"""


def open_page(browser, url: str):
    """Load ``url``; return the page and the console errors, page errors and failed requests."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    # wait for MathJax to finish typesetting (it is only loaded where there is math)
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    return page, problems


def _target(built_book: Path, page_url: str, href: str) -> tuple[Path, str] | None:
    """The file and fragment an internal link points at; None for an external link."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", href) and not href.startswith("http://127.0.0.1"):
        return None  # http(s), mailto, javascript, data: not ours to check offline
    parts = urlsplit(urljoin(page_url, href))
    path = unquote(parts.path).lstrip("/")
    file = built_book / path
    if path == "" or path.endswith("/"):
        file = file / "index.html"
    return file, unquote(parts.fragment)


def check_page(browser, built_book: Path, url: str) -> list[str]:
    """Everything wrong with one page, as readable lines (empty: the page is fine)."""
    page, problems = open_page(browser, url)
    try:
        report = page.evaluate(PAGE_REPORT)
        url = page.url  # after any redirect (index.html forwards to the first chapter)
    finally:
        page.close()
    raw = RAW_MATH.search(report["text"])
    if raw:
        problems.append(f"unrendered math: {report['text'][raw.start() - 40:raw.end() + 40]!r}")
    if report["mjx"] < report["math"]:
        problems.append(f"MathJax rendered {report['mjx']} of {report['math']} formulas")
    problems += [f"image did not load: {src}" for src in report["badImages"]]
    for href in sorted(set(report["links"])):
        target = _target(built_book, url, href)
        if target is None:
            continue
        file, fragment = target
        if not file.is_file():
            problems.append(f"broken link {href}: no {file.relative_to(built_book)}")
        elif fragment and f'id="{fragment}"' not in file.read_text(encoding="utf-8",
                                                                     errors="replace"):
            problems.append(f"broken link {href}: no #{fragment} in {file.name}")
    return problems


@pytest.mark.browser
def test_every_page_in_browser(browser, site, built_book):
    """No console error, math rendered, images loaded, internal links resolve: every page."""
    pages = site_pages(built_book)
    assert {f"book/{c}.html" for c in CHAPTERS} <= set(pages)
    failures = {p: check_page(browser, built_book, site + p) for p in pages}
    failures = {p: f for p, f in failures.items() if f}
    assert not failures, "\n".join(f"{p}:\n  " + "\n  ".join(f) for p, f in failures.items())


@pytest.mark.browser
def test_animation_plays(browser, site):
    page, problems = open_page(browser, site + "book/01-quick-win.html")
    try:
        anim = page.locator("div.animation").first
        anim.wait_for()
        img = anim.locator("img")
        first = img.get_attribute("src")
        assert img.evaluate("i => i.complete && i.naturalWidth > 0")
        frames = int(anim.locator("input[type=range]").get_attribute("max"))
        assert frames > 10
        anim.locator("button[title='Play']").click()
        page.wait_for_timeout(500)
        advanced = img.get_attribute("src") != first  # frames are long data: URIs, not shown
        assert advanced, "the animation does not play"
    finally:
        page.close()
    assert not problems, problems


@pytest.mark.browser
def test_search_finds_baseline(browser, site):
    page, problems = open_page(browser, site + "search.html?q=baseline")
    try:
        results = page.locator("#search-results li")
        results.first.wait_for(timeout=15_000)
        hits = results.all_inner_texts()
    finally:
        page.close()
    assert hits, "searching for 'baseline' found nothing"
    assert not problems, problems


@pytest.mark.book
def test_no_cell_takes_more_than_about_a_minute(built_book):
    """The time every cell of every chapter took in the build, as its kernel recorded it
    (book/_ext/cell_timing.py; myst-nb itself keeps only whole-notebook times). The bar is
    a minute on an unloaded machine; BOOK_MAX_CELL_SECONDS moves it for a slower one."""
    import os

    limit = float(os.environ.get("BOOK_MAX_CELL_SECONDS", "60"))
    times = built_book.parent / "cell_times.jsonl"
    records = [json.loads(line) for line in times.read_text(encoding="utf-8").splitlines()]
    with_code = {f"book/{c}" for c in CHAPTERS
                 if "```{code-cell}" in (ROOT / "book" / f"{c}.md").read_text(encoding="utf-8")}
    missing = with_code - {r["doc"] for r in records}
    assert not missing, f"chapters without cell times: {sorted(missing)}"
    slow = sorted((r for r in records if r["seconds"] > limit), key=lambda r: -r["seconds"])
    assert not slow, "cells over {:.0f} s: {}".format(limit, "; ".join(
        f"{r['doc']} cell {r['cell']} ({r['source']!r}) {r['seconds']:.0f} s" for r in slow))
