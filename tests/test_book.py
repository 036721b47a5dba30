"""The book: its build is strict, nothing executed is committed, and the site works in a browser.

* ``book`` tests build small throw-away books with the real ``_config.yml`` and the real
  ``make book`` recipe, and show that a cell that raises, a cell that warns and a reference
  to a missing label each fail the build; the real book is built once per session.
* ``browser`` tests open every page of the built site in Debian's Chromium and check what a
  reader sees once MathJax has typeset it: no TeX source shown as text, no doubled word, no
  code listing wider than its column in a 1280-px window, no warning in a cell's output, and
  exercises, figures and equations numbered per chapter (5.2, not a book-wide counter). A
  small book with one planted defect per page shows that each check catches its defect.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import chromium  # book/_ext/chromium.py (tests/conftest.py puts book/_ext on sys.path)
import pytest

ROOT = Path(__file__).resolve().parents[1]


def toc_chapters() -> list[str]:
    """The chapters (``book/<nn>-<slug>``) the table of contents lists, root included."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    entries = [
        *toc.get("chapters", []),
        *(c for part in toc.get("parts", []) for c in part.get("chapters", [])),
    ]
    files = [toc["root"], *(c["file"] for c in entries)]
    return [Path(f).name for f in files if re.fullmatch(r"book/\d\d-[\w-]+", f)]


CHAPTERS = toc_chapters()
IMAGE_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".webp",
    ".bmp",
    ".ico",
    ".pdf",
}


def make(target: str, log: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """Run ``make target`` at the top of the repository, the whole output going to ``log``."""
    args = [
        "make",
        "--no-print-directory",
        target,
        *(f"{k}={v}" for k, v in variables.items()),
    ]
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.run(
            args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, check=False
        )


ANSI = re.compile(r"\x1b\[[0-9;]*m")
PROBLEM = re.compile(r"WARNING:|ERROR:|Exception|Traceback|Error\b")


def tail(log: Path, lines: int = 30) -> str:
    """What went wrong in a build log: every warning and error line, then the last lines."""
    text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace")).splitlines()
    problems = [
        line for line in text if PROBLEM.search(line) and "IPKernelApp" not in line
    ]
    return "\n".join(["-- problems:", *problems[:40], "-- last lines:", *text[-lines:]])


# ---------------------------------------------------------------- nothing executed is committed


def test_every_chapter_is_in_the_table_of_contents():
    """A chapter file the table of contents forgets is silently left out of the build."""
    on_disk = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]-*.md"))
    assert on_disk == sorted(CHAPTERS), (
        f"chapters not in _toc.yml: {sorted(set(on_disk) - set(CHAPTERS))}; "
        f"listed but missing: {sorted(set(CHAPTERS) - set(on_disk))}"
    )


def test_no_results_committed_under_book():
    """Chapters are sources: no image (but the logo and favicon) and no executed notebook."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", "book"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    files = [Path(f) for f in listed if f]
    assert files, "git lists no file under book/"
    images = [
        f
        for f in files
        if f.suffix.lower() in IMAGE_SUFFIXES
        and not f.name.startswith(("logo.", "favicon."))
    ]
    assert not images, (
        f"images committed under book/ (figures come from executed code): {images}"
    )
    notebooks = [f for f in files if f.suffix == ".ipynb"]
    executed = [
        f
        for f in notebooks
        if any(
            c.get("outputs") or c.get("execution_count")
            for c in json.loads((ROOT / f).read_text(encoding="utf-8"))["cells"]
        )
    ]
    assert not executed, f"executed notebooks committed under book/: {executed}"


def test_fit_listings_fits_lines_and_keeps_the_code():
    """book/_ext/fit_listings.py (which fitted the chapters' code to the column) shortens
    every line it can and leaves what the code does unchanged; too-long code it cannot
    fit safely is left for a person."""
    import ast
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "fit_listings", ROOT / "book" / "_ext" / "fit_listings.py"
    )
    assert spec is not None and spec.loader is not None
    fit_listings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit_listings)
    source = (
        'glue("note",\n'
        '     "The measurement on a frozen policy was sharp; training is blurrier: Adam divides "\n'
        '     f"out the scale of the gradient {scale:.3g}, and runs differ a lot from seed to "\n'
        '     "seed." if low <= 0.5 else "no", display=False)\n'
        'x = preset("fast", stop_when_solved=True, max_episodes=500)  # the base configuration\n'
        "y = [" + ", ".join(map(str, range(30))) + "]\n"
    )
    fitted = fit_listings.fit(source, 80)
    assert ast.dump(ast.parse(fitted)) == ast.dump(ast.parse(source))
    assert max(map(len, fitted.splitlines())) <= 80, fitted
    assert "# the base configuration\nx = preset(" in fitted
    long_name = "z = " + "a" * 90
    assert (
        fit_listings.fit(long_name, 80) == long_name
    )  # nothing safe to do: left alone


# ---------------------------------------------------------------- strictness, on small books

JUPYTEXT_HEADER = """\
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

"""

MINI_CHAPTER = (
    JUPYTEXT_HEADER
    + """\
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
)


def mini_book(
    path: Path,
    extra: str = "",
    *,
    chapters: dict[str, str] | None = None,
    toc: dict | None = None,
) -> Path:
    """A copy of the book's configuration and machinery with small chapters.

    By default one chapter, ``MINI_CHAPTER`` with ``extra`` appended, is the whole book;
    otherwise ``chapters`` maps file stems (``00-root``) to their text and ``toc`` is the
    table of contents.
    """
    import yaml

    path.mkdir()
    shutil.copy(ROOT / "_config.yml", path / "_config.yml")
    shutil.copytree(
        ROOT / "book" / "_ext",
        path / "book" / "_ext",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copytree(ROOT / "book" / "_static", path / "book" / "_static")
    shutil.copytree(ROOT / "book" / "_extra", path / "book" / "_extra")
    shutil.copy(ROOT / "book" / "references.bib", path / "book" / "references.bib")
    if chapters is None:
        chapters = {"00-mini": MINI_CHAPTER.format(extra=extra)}
        toc = {"format": "jb-book", "root": "book/00-mini"}
    (path / "_toc.yml").write_text(
        yaml.safe_dump(toc, sort_keys=False), encoding="utf-8"
    )
    for stem, text in chapters.items():
        (path / "book" / f"{stem}.md").write_text(text, encoding="utf-8")
    return path


@pytest.mark.book
def test_small_book_builds_with_its_solution(tmp_path):
    """The control: without a fault the small book builds, glue and solution included."""
    book = mini_book(tmp_path / "ok")
    log = tmp_path / "build.log"
    assert make("book", log, BOOK_DIR=str(book)).returncode == 0, tail(log)
    html = (book / "_build" / "html" / "book" / "00-mini.html").read_text(
        encoding="utf-8"
    )
    assert re.search(r"The answer is (<[^>]*>)*42\b", html), (
        "the glued number is missing"
    )
    assert "THE-SOLUTION-TEXT" in html


FAULTS = {
    "raises": (
        "```{code-cell} ipython3\nraise RuntimeError('boom in a cell')\n```",
        "boom in a cell",
    ),
    "warns": (
        "```{code-cell} ipython3\nimport numpy as np\nnp.float64(1.0) / 0.0\n```",
        "stderr was found in the cell outputs",
    ),
    "missing-reference": ("See {ref}`no-such-label`.", "no-such-label"),
}


@pytest.mark.book
@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_fails_the_build(tmp_path, fault):
    extra, evidence = FAULTS[fault]
    book = mini_book(tmp_path / "bad", extra="\n" + extra + "\n")
    log = tmp_path / "build.log"
    proc = make("book", log, BOOK_DIR=str(book))
    assert proc.returncode != 0, (
        f"a chapter that {fault} did not fail the build:\n{tail(log)}"
    )
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
    notebook = (html / "_sources" / "book" / "00-mini.ipynb").read_text(
        encoding="utf-8"
    )
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
        assert f'href="../_sources/book/{chapter}.ipynb"' in page, (
            f"no download in {chapter}"
        )
        nb = nbformat.read(
            built_book / "_sources" / "book" / f"{chapter}.ipynb", as_version=4
        )
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
    """The real book, served."""
    with chromium.serve(built_book) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not chromium.CHROMIUM.exists():
        pytest.fail(chromium.MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = chromium.launch(p)
        try:
            yield b
        finally:
            b.close()


def site_pages(built_book: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to its root."""
    skip = {"_static", "_sources", "_images", "lite"}  # lite: the JupyterLite app
    return sorted(
        p.relative_to(built_book).as_posix()
        for p in built_book.rglob("*.html")
        if not skip & set(p.relative_to(built_book).parts)
    )


# The reader's window: listings must fit its text column without a scrollbar.
WINDOW = {"width": 1280, "height": 800}

# Text outside code and outside typeset math that is TeX source: a dollar sign, a control
# word (\frac, \operatorname, \begin), \( \[ \{, or a sub/superscript group.
RAW_TEX = re.compile(r"\$|\\[A-Za-z]+|\\[()\[\]{}]|[_^]\{")
# The same word twice in a row on one line ("exercise Exercise 42"), case ignored.
DOUBLED = re.compile(r"\b([^\W\d_]+)[ \u00a0]+\1\b", re.IGNORECASE)
# A warning printed into a cell's output (stderr fails the build; this is what reaches stdout).
WARNING_TEXT = re.compile(
    r"\b[A-Z]\w*Warning\b|\bWARNING\b|^\s*Warning\b", re.MULTILINE
)

PAGE_REPORT = r"""() => {
  // open what a reader can open (dropdown solutions, hidden cells), so it is checked too
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  const article = document.querySelector('article') || document.body;
  const longest = t => t.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
  const overflowing = [...article.querySelectorAll('pre')]
    .filter(p => p.scrollWidth > p.clientWidth + 1)
    .map(p => ({px: p.scrollWidth - p.clientWidth, line: longest(p.innerText),
                output: p.closest('.cell_output') !== null}));
  const wideMath = [...article.querySelectorAll('mjx-container[display="true"]')]
    .filter(m => m.scrollWidth > m.clientWidth + 1)
    .map(m => ({px: m.scrollWidth - m.clientWidth,
                tex: MathJax.startup.document.getMathItemsWithin(m).map(i => i.math).join('')}));
  const title = article.querySelector('h1');
  const titleText = title ? title.textContent : '';
  const outputs = [...article.querySelectorAll('.cell_output')].map(o => o.innerText);
  const numbered = sel => [...article.querySelectorAll(sel)].map(e => e.textContent.trim());
  const numbers = {
    'Exercise': numbered('.exercise > .admonition-title > .caption-number'),
    'Fig.': numbered('figure .caption-number'),
    'Table': numbered('table .caption-number'),
    'Eq.': numbered('.math .eqno'),
  };
  const mathErrors = [...document.querySelectorAll('mjx-merror')]
    .map(e => e.getAttribute('data-mjx-error') || e.textContent);
  const mjx = document.querySelectorAll('mjx-container').length;
  // what a reader reads, as laid out: code blocks dropped, typeset math and inline code
  // replaced by a placeholder (so "$P$ and $R$ and" does not read as "and and")
  document.querySelectorAll('pre').forEach(e => e.remove());
  document.querySelectorAll('mjx-container, code').forEach(e => e.replaceWith('\u2219'));
  const text = document.body.innerText;
  return {
    text: text,
    math: document.querySelectorAll('.math').length,
    mjx: mjx,
    mathErrors: mathErrors,
    overflowing: overflowing,
    wideMath: wideMath,
    outputs: outputs,
    title: titleText,
    numbers: numbers,
    badImages: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
                                   .map(i => i.src.slice(0, 80)),
    images: document.images.length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
  };
}"""


def open_page(browser, url: str):
    """Load ``url``; return the page and the console errors, page errors and failed requests."""
    page = browser.new_page(viewport=WINDOW)
    problems: list[str] = []
    page.on(
        "console", lambda m: m.type == "error" and problems.append(f"console: {m.text}")
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on(
        "response",
        lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"),
    )
    page.goto(url, wait_until="load")
    page.wait_for_load_state("networkidle")
    # wait for MathJax to finish typesetting (it is only loaded where there is math)
    page.evaluate(
        "() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null"
    )
    return page, problems


def _target(built_book: Path, page_url: str, href: str) -> tuple[Path, str] | None:
    """The file and fragment an internal link points at; None for an external link."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", href) and not href.startswith(
        "http://127.0.0.1"
    ):
        return None  # http(s), mailto, javascript, data: not ours to check offline
    parts = urlsplit(urljoin(page_url, href))
    path = unquote(parts.path).lstrip("/")
    file = built_book / path
    if path == "" or path.endswith("/"):
        file = file / "index.html"
    return file, unquote(parts.fragment)


def _around(text: str, match: re.Match[str], width: int = 40) -> str:
    return " ".join(text[max(0, match.start() - width) : match.end() + width].split())


def numbering_problems(
    title: str, numbers: dict[str, list[str]], front: bool
) -> list[str]:
    """Exercises, figures, tables and equations run 1, 2, ... on each page, prefixed by the
    page's chapter number ("5.2"); only the front page (the preface) has no chapter number."""
    chapter = re.match(r"\s*(\d+)\.\s", title)
    prefix = f"{chapter.group(1)}." if chapter else ""
    problems = []
    for kind, labels in numbers.items():
        found = [
            re.sub(r"^\D*|\D*$", "", label) for label in labels
        ]  # "Exercise 5.2 " -> 5.2
        if not found:
            continue
        if not chapter and not front:
            problems.append(
                f"numbering: {kind} {found[0]} on a page without a chapter number "
                f"(numbered per chapter, e.g. 5.2)"
            )
        wanted = [f"{prefix}{k}" for k in range(1, len(found) + 1)]
        if found != wanted:
            problems.append(f"numbering: {kind} numbers {found}, expected {wanted}")
    return problems


def rendering_problems(report: dict, front: bool) -> list[str]:
    """What a reader would see wrong on a page: TeX source, doubled words, overflowing
    listings, warnings in outputs, numbers that do not restart per chapter."""
    problems = []
    text = report["text"]
    last = -100
    for m in RAW_TEX.finditer(text):  # one report per stretch of TeX
        if m.start() - last > 80:
            problems.append(f"raw TeX: {_around(text, m)!r}")
        last = m.start()
    problems += [f"MathJax error: {e!r}" for e in report["mathErrors"]]
    if report["mjx"] < report["math"]:
        problems.append(
            f"MathJax rendered {report['mjx']} of {report['math']} formulas"
        )
    problems += [
        f"doubled word: {_around(text, m, 30)!r}" for m in DOUBLED.finditer(text)
    ]
    for pre in report["overflowing"]:
        kind = "output" if pre["output"] else "listing"
        problems.append(
            f"{kind} overflows its column by {pre['px']} px at "
            f"{WINDOW['width']} px: {pre['line'][:100]!r}"
        )
    problems += [
        f"equation overflows its column by {m['px']} px at {WINDOW['width']} px: "
        f"{' '.join(m['tex'].split())[:100]!r}"
        for m in report["wideMath"]
    ]
    for output in report["outputs"]:
        problems += [
            f"warning in an output: {_around(output, m)!r}"
            for m in WARNING_TEXT.finditer(output)
        ]
    problems += numbering_problems(report["title"], report["numbers"], front)
    return problems


def check_page(
    browser, built_book: Path, url: str, front: bool = False
) -> tuple[list[str], str]:
    """Everything wrong with one page, as readable lines (empty: the page is fine), and the
    page's title. ``front``: the book's front page, the one page without a chapter number."""
    page, problems = open_page(browser, url)
    try:
        report = page.evaluate(PAGE_REPORT)
        url = page.url  # after any redirect (index.html forwards to the first chapter)
    finally:
        page.close()
    problems += rendering_problems(report, front)
    problems += [f"image did not load: {src}" for src in report["badImages"]]
    for href in sorted(set(report["links"])):
        target = _target(built_book, url, href)
        if target is None:
            continue
        file, fragment = target
        if not file.is_file():
            problems.append(f"broken link {href}: no {file.relative_to(built_book)}")
        elif fragment and f'id="{fragment}"' not in file.read_text(
            encoding="utf-8", errors="replace"
        ):
            problems.append(f"broken link {href}: no #{fragment} in {file.name}")
    return problems, report["title"]


@pytest.mark.browser
def test_every_page_in_browser(browser, site, built_book):
    """No console error, math rendered, images loaded, internal links resolve, and nothing a
    reader would see as a rendering defect (see rendering_problems): every page."""
    import yaml

    root = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["root"]
    pages = site_pages(built_book)
    assert {f"book/{c}.html" for c in CHAPTERS} <= set(pages)
    front = {f"{root}.html", "index.html"}  # index.html forwards to the root page
    checked = {
        p: check_page(browser, built_book, site + p, front=p in front) for p in pages
    }
    failures = {p: problems for p, (problems, _) in checked.items() if problems}
    numbered = [
        m.group(1)
        for _, title in checked.values()
        if (m := re.match(r"\s*(\d+)\.\s", title))
    ]
    repeated = sorted({n for n in numbered if numbered.count(n) > 1})
    if repeated:
        failures["(all pages)"] = [f"chapter numbers used by two pages: {repeated}"]
    assert not failures, "\n".join(
        f"{p}:\n  " + "\n  ".join(f) for p, f in failures.items()
    )


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
        advanced = (
            img.get_attribute("src") != first
        )  # frames are long data: URIs, not shown
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


# ---------------------------------------------------------------- rendering checks, planted


def rendering_page(stem: str, title: str, body: str) -> str:
    """A chapter of the planted book: a title, one exercise (to be numbered), then ``body``."""
    return JUPYTEXT_HEADER + (
        f"# {title}\n\n```{{exercise}}\n:label: ex-{stem}\n\n"
        f"Is this page clean?\n```\n\n{body}\n"
    )


CLEAN_BODY = r"""
Inline math $\operatorname{tr}(C) + \frac{a}{b}$, a numbered equation

```{math}
:label: eq-clean
J(\theta) = \mathbb{E}\left[\sum_t \gamma^t r_t\right]
```

and a numbered figure:

```{figure} _static/logo.svg
:name: fig-clean
:width: 60px

The logo.
```

{eq}`eq-clean`, {numref}`fig-clean` and {ref}`ex-01-clean` are cited by their numbers. A
listing as wide as the book allows (88 characters, the limit for included library code) and
an output:

```{code-cell} ipython3
limit = 88  # --------------------------------------------------------------------------
print("an output without a warning in it")
```
"""

# page stem -> (title, body, what the check says about it); each page has one defect.
PLANTED = {
    "02-raw-tex": (
        "Raw TeX",
        "The variance is $\\operatorname{tr}(A)\n+ b^2 \\operatorname{tr}(B)$: a line that "
        "starts with a plus sign is a list item, which splits the math.",
        "raw TeX",
    ),
    "03-doubled-word": (
        "A doubled word",
        "As exercise {ref}`ex-03-doubled-word` asks: is it?",
        "doubled word",
    ),
    "04-overflowing-listing": (
        "An overflowing listing",
        "```{code-cell} ipython3\nvalues = ["
        + ", ".join(map(str, range(40)))
        + "]\n```",
        "listing overflows",
    ),
    "05-warning-in-output": (
        "A warning in an output",
        "```{code-cell} ipython3\nimport warnings\n\n"
        "print(warnings.formatwarning('planted', UserWarning, 'chapter.py', 1), end='')\n```",
        "warning in an output",
    ),
    "06-global-numbering": (
        "Exercises numbered across the book",
        "This chapter's part has no chapter numbers, so its exercise continues the count.",
        "numbering",
    ),
}


def rendering_toc() -> dict:
    """The real table of contents' numbering options on the planted pages: the numbered
    chapters in two parts (numbers continue across parts), then a part without numbers."""
    import yaml

    real = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    options = [
        {k: v for k, v in part.items() if k not in {"caption", "chapters"}}
        for part in real["parts"][:2]
    ]
    files = [
        [{"file": "book/01-clean"}, {"file": "book/02-raw-tex"}],
        [{"file": f"book/{stem}"} for stem in PLANTED if stem < "06"][1:],
    ]
    return {
        "format": "jb-book",
        "root": "book/00-front",
        **({"defaults": real["defaults"]} if "defaults" in real else {}),
        "parts": [
            {"caption": "First part", **options[0], "chapters": files[0]},
            {"caption": "Second part", **options[1], "chapters": files[1]},
            {
                "caption": "Planted: a part without chapter numbers",
                "numbered": False,
                "chapters": [{"file": "book/06-global-numbering"}],
            },
        ],
    }


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The planted book, built with the real configuration and served: (site dir, URL)."""
    chapters = {
        "00-front": rendering_page(
            "00-front", "Front matter", "The front page is not numbered."
        ),
        "01-clean": rendering_page("01-clean", "A clean chapter", CLEAN_BODY),
        **{
            stem: rendering_page(stem, title, body)
            for stem, (title, body, _) in PLANTED.items()
        },
    }
    path = tmp_path_factory.mktemp("planted")
    book = mini_book(path / "book", chapters=chapters, toc=rendering_toc())
    log = path / "build.log"
    assert make("book", log, BOOK_DIR=str(book)).returncode == 0, tail(log)
    html = book / "_build" / "html"
    with chromium.serve(html) as url:
        yield html, url


@pytest.mark.book
@pytest.mark.browser
def test_clean_pages_pass_the_rendering_checks(browser, planted):
    """The control: math, numbered things, references by number and an 88-character listing
    raise nothing, and chapter numbers continue across parts."""
    html, url = planted
    for stem in ["00-front", "01-clean"]:
        problems, _ = check_page(
            browser, html, f"{url}book/{stem}.html", front=stem == "00-front"
        )
        assert not problems, f"{stem}: {problems}"
    titles = [
        check_page(browser, html, f"{url}book/{stem}.html")[1]
        for stem in ["01-clean", *list(PLANTED)[:4]]
    ]
    assert [t.split(".")[0] for t in titles] == ["1", "2", "3", "4", "5"], titles


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.parametrize("stem", list(PLANTED))
def test_planted_rendering_defect_is_caught(browser, planted, stem):
    html, url = planted
    evidence = PLANTED[stem][2]
    problems, _ = check_page(browser, html, f"{url}book/{stem}.html")
    assert problems, f"{stem}: the planted defect was not caught"
    assert all(evidence in p for p in problems), (
        f"{stem}: expected only {evidence!r}: {problems}"
    )


@pytest.mark.book
def test_no_cell_takes_more_than_about_a_minute(built_book):
    """The time every cell of every chapter took in the build, as its kernel recorded it
    (book/_ext/cell_timing.py; myst-nb itself keeps only whole-notebook times). A cell is
    too long if it takes over a minute *and* over a fifth of the whole book's cell time:
    the share, a ratio within one build, is what a slower or loaded machine does not change
    (BOOK_MAX_CELL_SECONDS and BOOK_MAX_CELL_SHARE move the two bars)."""
    import os

    seconds = float(os.environ.get("BOOK_MAX_CELL_SECONDS", "60"))
    share = float(os.environ.get("BOOK_MAX_CELL_SHARE", "0.2"))
    times = built_book.parent / "cell_times.jsonl"
    records = [
        json.loads(line) for line in times.read_text(encoding="utf-8").splitlines()
    ]
    with_code = {
        f"book/{c}"
        for c in CHAPTERS
        if "```{code-cell}" in (ROOT / "book" / f"{c}.md").read_text(encoding="utf-8")
    }
    missing = with_code - {r["doc"] for r in records}
    assert not missing, f"chapters without cell times: {sorted(missing)}"
    limit = max(seconds, share * sum(r["seconds"] for r in records))
    slow = sorted(
        (r for r in records if r["seconds"] > limit), key=lambda r: -r["seconds"]
    )
    assert not slow, "cells over {:.0f} s: {}".format(
        limit,
        "; ".join(
            f"{r['doc']} cell {r['cell']} ({r['source']!r}) {r['seconds']:.0f} s"
            for r in slow
        ),
    )
