"""The PDF editions: ``make pdf`` and ``make pdf-student``.

The book is printed from its single-page HTML build (book/_ext/print_pdf.py). These
tests run both targets, render the first pages to PNG with ``pdftoppm``, read the text
with ``pdftotext`` (no TeX source left unrendered) and list the images with
``pdfimages`` (every figure and animation of the HTML is in the PDF). Run after the
book tests in the same session, ``make pdf`` reuses their executed chapters.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import reinforce

ROOT = Path(__file__).resolve().parents[1]
PDF_DIR = ROOT / "_build" / "pdf"
SINGLEHTML = ROOT / "_build" / "singlehtml"
POPPLER = ("pdftoppm", "pdftotext", "pdfimages", "pdfinfo")

pytestmark = pytest.mark.book

# TeX that MathJax should have typeset: a command, a display delimiter, an environment.
UNRENDERED = re.compile(
    r"\\(frac|begin|end|mathbb|sum|theta|left|right)\b|\$\$|\\\[|\\\("
)


def run(*args: str) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout


def make(targets: list[str], log: Path) -> None:
    with log.open("w") as out:
        proc = subprocess.run(
            ["make", *targets], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    text = log.read_text(errors="replace")
    assert proc.returncode == 0, f"make {' '.join(targets)} failed:\n{text[-5000:]}"


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: apt-get install -y poppler-utils")
    logs = tmp_path_factory.mktemp("pdf")
    make(["pdf", "pdf-student"], logs / "pdf.log")  # one single-page build for both
    return {
        "book": PDF_DIR / "reinforce-from-scratch.pdf",
        "student": PDF_DIR / "reinforce-from-scratch-student.pdf",
    }


def page_html() -> str:
    """The single page the PDF was printed from (index.html redirects to it)."""
    index = (SINGLEHTML / "index.html").read_text(encoding="utf-8")
    target = re.search(r'url=([^"]+)"', index)
    page = SINGLEHTML / target.group(1) if target else SINGLEHTML / "index.html"
    return page.read_text(encoding="utf-8")


def pages(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(pdf)), re.M).group(1))


@pytest.mark.parametrize("edition", ["book", "student"])
def test_first_pages_render(
    pdfs: dict[str, Path], edition: str, tmp_path: Path
) -> None:
    pdf = pdfs[edition]
    assert pages(pdf) > 50
    run(
        "pdftoppm",
        "-png",
        "-r",
        "40",
        "-f",
        "1",
        "-l",
        "4",
        str(pdf),
        str(tmp_path / "p"),
    )
    rendered = sorted(tmp_path.glob("p-*.png"))
    assert len(rendered) == 4
    assert all(p.stat().st_size > 1000 for p in rendered)  # not blank


@pytest.mark.parametrize("edition", ["book", "student"])
def test_no_unrendered_tex(pdfs: dict[str, Path], edition: str) -> None:
    text = run("pdftotext", str(pdfs[edition]), "-")
    found = sorted({m.group(0) for m in UNRENDERED.finditer(text)})
    assert not found, f"TeX source in the PDF: {found}"


def test_title_page_names_the_version(pdfs: dict[str, Path]) -> None:
    for pdf in pdfs.values():
        first = run("pdftotext", "-l", "1", str(pdf), "-")
        assert f"version {reinforce.__version__}" in first


def test_the_site_header_shows_the_version(pdfs: dict[str, Path]) -> None:
    title = re.search(r'<p class="title logo__title">([^<]*)</p>', page_html())
    assert title and title.group(1).endswith(f" {reinforce.__version__}")


def test_every_figure_is_in_the_pdf(pdfs: dict[str, Path]) -> None:
    html = page_html()
    figures = len(re.findall(r'<img[^>]*src="_images/', html))
    animations = len(re.findall(r'<img id="_anim_img', html))
    assert figures > 10 and animations >= 1
    listing = run("pdfimages", "-list", str(pdfs["book"])).splitlines()[2:]
    # colour images; Chromium also rasterises some boxes as grey JPEGs, not counted
    images = [r.split() for r in listing if r.split()[2] == "image"]
    colour = [r for r in images if r[5] != "gray"]
    assert len(colour) >= figures + animations, (len(colour), figures, animations)


def test_numbered_equations_and_blocks(pdfs: dict[str, Path]) -> None:
    text = run("pdftotext", str(pdfs["book"]), "-")
    assert re.search(r"\(\d+\.\d+\)", text)  # an equation number, (5.2)
    assert re.search(r"Exercise \d+\.\d+", text)
    assert re.search(r"(Theorem|Proposition|Lemma|Definition) \d+\.\d+", text)
    assert "Williams" in text  # the bibliography


def test_student_pdf_has_no_solutions(pdfs: dict[str, Path]) -> None:
    book = run("pdftotext", str(pdfs["book"]), "-")
    student = run("pdftotext", str(pdfs["student"]), "-")
    assert book.count("Solution to Exercise") > 20
    assert "Solution to" not in student
    assert student.count("Exercise") > 20  # the exercises stay
    assert pages(pdfs["student"]) < pages(pdfs["book"])
