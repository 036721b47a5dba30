"""Print the single-page HTML build of the book to one PDF with Debian's Chromium.

    python book/_ext/print_pdf.py _build/singlehtml _build/pdf/book.pdf
    python book/_ext/print_pdf.py _build/singlehtml _build/pdf/book-student.pdf --student

The page is served over HTTP from the build directory, loaded in headless Chromium
(driven by Playwright, the system browser: no downloaded one), and printed once MathJax
has typeset every formula. Print styles hide the site's navigation, open every dropdown
(solutions are printed in full), show each animation's current frame as a still and
keep figures and listings whole. ``--student`` removes every solution block before
printing, as the student build does (book/_ext/student_build.py): the exercises keep
their numbers. A title page names the book and its version, ``reinforce.__version__``.
The PDF is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from pathlib import Path
from typing import Any

from chromium import CHROMIUM, MISSING, QuietHandler, launch, serve  # this folder's

TIMEOUT_MS = 30 * 60 * 1000  # a guard against a hung page, not a speed bar

PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
html, body { background: white !important; }
* { box-shadow: none !important; text-shadow: none !important; border-radius: 0 !important; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-header-article,
.header-article, .bd-footer, .bd-footer-article, .bd-footer-content, .prev-next-area,
.headerlink, .skip-link, .search-button, .theme-switch-button, .article-header-buttons,
.toggle-button, .anim-controls, .anim-state, #pst-back-to-top, .bd-search,
.onlyprint-hide, .dropdown-toggle { display: none !important; }
.bd-main, .bd-content, .bd-article-container, .bd-article, .bd-container,
.bd-container__inner, .bd-page-width { max-width: none !important; width: 100% !important;
  padding: 0 !important; margin: 0 !important; flex: none !important; }
.toggle-hidden, .toggle-details__container, details > * { display: block !important;
  visibility: visible !important; opacity: 1 !important; height: auto !important; }
pre, .highlight pre { font-size: 7.6pt !important; white-space: pre-wrap !important;
  overflow: visible !important; }
img, svg { max-width: 100% !important; }
figure, .cell_output img, .animation, table, .admonition, .proof, .exercise, .math,
mjx-container[display="true"] { break-inside: avoid; }
h1, h2, h3 { break-after: avoid; }
#pdf-title-page { height: 200mm; display: flex; flex-direction: column;
  justify-content: center; text-align: center; break-after: page; }
#pdf-title-page .pdf-title { font-size: 30pt; font-weight: bold; }
#pdf-title-page p { font-size: 14pt; }
"""

LOAD_JS = """
async () => {
  // lazy images would print as empty boxes: load them all, and wait for MathJax
  const images = [...document.querySelectorAll('img')];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null :
    new Promise(done => { img.onload = img.onerror = done; })));
  for (let i = 0; i < 600 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++) {
    await new Promise(done => setTimeout(done, 100));
  }
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
}
"""

PREPARE_JS = """
([student, title, subtitle]) => {
  // Every dropdown open: <details> and sphinx-togglebutton's hidden blocks.
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  let removed = 0;
  if (student) {
    document.querySelectorAll('div.solution').forEach(e => { e.remove(); removed += 1; });
  }
  // Animations: the player's current frame stays as a still; its controls are hidden.
  const page = document.createElement('div');
  page.id = 'pdf-title-page';
  const h = document.createElement('p');
  h.className = 'pdf-title';
  h.textContent = title;
  const p = document.createElement('p');
  p.textContent = subtitle;
  page.append(h, p);
  const h1 = document.querySelector('h1');  // the root document's title
  const first = h1 ? (h1.closest('section') || h1) : document.body.firstChild;
  first.parentNode.insertBefore(page, first);
  return {solutionsRemoved: removed, solutionsLeft: document.querySelectorAll('div.solution').length};
}
"""


def root_page(site: Path) -> Path:
    """The single page. Its links are written relative to the site's root although the
    page sits where the root document does (``book/00-preface.html``, reached from
    ``index.html``'s redirect), so it is served at the root (:class:`Quiet`)."""
    index = (site / "index.html").read_text(encoding="utf-8")
    redirect = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', index)
    return site / redirect.group(1) if redirect else site / "index.html"


class Quiet(QuietHandler):
    """The site's files, and the single page at ``/book.html``."""

    def __init__(self, *args: Any, page: Path, **kwargs: Any) -> None:
        self.page = page
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        if path.split("?")[0] == "/book.html":
            return str(self.page)
        return super().translate_path(path)


def print_pdf(site: Path, out: Path, *, student: bool) -> dict[str, int]:
    """Print ``site``/index.html to ``out``; returns what was removed and left."""
    from playwright.sync_api import sync_playwright

    import reinforce

    version = reinforce.__version__
    edition = "Student edition, without solutions" if student else "With solutions"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with serve(site, Quiet, page=root_page(site)) as url, sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{url}book.html", wait_until="load")
            page.wait_for_load_state("networkidle")
            page.evaluate(LOAD_JS)
            title = page.evaluate(
                "() => (document.querySelector('.logo__title') || {}).textContent || ''"
            ).strip() or f"REINFORCE from Scratch {version}"
            report = page.evaluate(
                PREPARE_JS, [student, title, f"{edition} · version {version}"]
            )
            page.add_style_tag(content=PRINT_CSS)
            page.emulate_media(media="print")
            # typeset anything a dropdown revealed, then print
            page.evaluate(
                "() => window.MathJax && MathJax.typesetPromise ? MathJax.typesetPromise() : null"
            )
            footer = (
                '<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                f"{html.escape(title)} · <span class=pageNumber></span> / "
                "<span class=totalPages></span></div>"
            )
            page.pdf(
                path=str(tmp),
                format="A4",
                print_background=True,
                display_header_footer=True,
                header_template="<div></div>",
                footer_template=footer,
                margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"},
            )
        finally:
            browser.close()
    os.replace(tmp, out)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path, help="the singlehtml build directory")
    parser.add_argument("out", type=Path, help="the PDF to write")
    parser.add_argument("--student", action="store_true", help="leave out the solutions")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"print_pdf: no index.html in {args.site}: build it first", file=sys.stderr)
        return 2
    if not CHROMIUM.exists():
        print(f"print_pdf: {MISSING}", file=sys.stderr)
        return 2
    report = print_pdf(args.site, args.out, student=args.student)
    if args.student and report["solutionsLeft"]:
        print(f"print_pdf: {report['solutionsLeft']} solutions left", file=sys.stderr)
        return 1
    print(f"{args.out}: {report['solutionsRemoved']} solutions removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
