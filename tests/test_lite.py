"""Light mode, the browser notebooks, and the chapters running under Pyodide.

- light mode (``reinforce.lite``) and the Pyodide guard, natively;
- every chapter converted for the JupyterLite site says light mode is on, installs the
  package, and (MuJoCo, Dask) says when it cannot run in the browser;
- the package imports and trains under the site's own Pyodide (Python 3.12, NumPy 2.0)
  in Node.js, and every cell of chapters 1 to 5 (quick win to baselines) runs there in
  light mode (the preface says so);
- the site ships Pyodide and every chapter, and every chapter page's launch button opens
  that chapter's notebook;
- Chromium, offline (every host but 127.0.0.1 unresolvable, every other request sent
  to a dead proxy), opens the quick-win notebook in JupyterLite, runs its first training
  cell, and prints what the native run of the same cells prints.

The site tests use ``_build/html`` as ``make book`` left it, and run ``make book``
first if any source is newer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import chromium
import jupyterlite_build
import jupyterlite_launch
import nbformat
import notebook_download
import pytest
from _helpers import MYST, ROOT, convert_chapters

from reinforce import Config, lite, preset

CHAPTERS = notebook_download.chapters(ROOT / "book")
HTML = ROOT / "_build" / "html"
LITE = HTML / "lite"
# the chapters whose notebooks say they cannot run in the browser, and why
NATIVE_ONLY = {"12-continuous-actions": "MuJoCo", "91-running-experiments": "Dask"}


# ---------------------------------------------------------------- light mode


def test_light_mode_is_off_natively_unless_asked():
    assert not lite.BROWSER
    assert lite.ACTIVE == (os.environ.get("REINFORCE_LITE") == "1")
    code = (
        "from reinforce import Config; c = Config(); print(c.batch_size, c.optimizer)"
    )
    printed = {}
    for value in ("0", "1"):
        printed[value] = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "REINFORCE_LITE": value},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    assert printed["0"] == ["5", "rmsprop"]
    assert printed["1"] == [str(preset("fast").batch_size), "adam"]


def test_the_posts_config_becomes_the_fast_preset(monkeypatch):
    monkeypatch.setattr(lite, "ACTIVE", True)
    config = Config(seed=4, stop_when_solved=True, max_episodes=700)
    assert config == preset("fast", seed=4, stop_when_solved=True, max_episodes=700)
    assert config.replace(seed=5).seed == 5  # made again: still fast, seed changed
    assert config.replace(seed=5).batch_size == preset("fast").batch_size
    # a preset field set to another value by hand, or another task: left alone
    for by_hand, field, value in (
        (Config(optimizer="sgd"), "optimizer", "sgd"),
        (Config(batch_size=10), "batch_size", 10),
        (Config(lr=0.01), "lr", 0.01),
        (Config(env_id="Acrobot-v1"), "batch_size", 5),
    ):
        assert getattr(by_hand, field) == value
        assert lite.light_fields(by_hand) == {}
    monkeypatch.setattr(lite, "ACTIVE", False)
    assert Config().batch_size == 5
    assert lite.light_fields(Config()) == {}


def test_pyodide_guard_stands_in_for_missing_modules(monkeypatch, tmp_path):
    monkeypatch.setattr(lite, "BROWSER", True)
    for name in ("_multiprocessing", "fcntl"):  # imports fail, as under Pyodide
        monkeypatch.setitem(sys.modules, name, None)
    # setenv first, so that undoing the patch removes what guard_pyodide sets (delenv
    # of an absent variable records nothing, and the "0" would leak into every later
    # test's subprocesses: joblib without processes)
    monkeypatch.setenv("JOBLIB_MULTIPROCESSING", "unset")
    monkeypatch.delenv("JOBLIB_MULTIPROCESSING")
    lite.guard_pyodide()
    processes = sys.modules["_multiprocessing"]
    assert processes is not None and processes.__name__ == "_multiprocessing"
    assert os.environ["JOBLIB_MULTIPROCESSING"] == "0"
    with pytest.raises(OSError, match="no semaphores in the browser"):
        processes.SemLock(0, 0, 1)
    fcntl = sys.modules["fcntl"]
    assert fcntl is not None and fcntl.__name__ == "fcntl"
    with open(tmp_path / "lock", "a+b") as f:
        assert fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB) is None


def test_guard_does_nothing_natively(monkeypatch):
    monkeypatch.setattr(lite, "BROWSER", False)
    before = dict(sys.modules)
    lite.guard_pyodide()
    assert sys.modules.keys() == before.keys()


# ---------------------------------------------------------------- browser notebooks


@pytest.fixture(scope="module")
def browser_notebooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every chapter converted for the JupyterLite site."""
    return convert_chapters(tmp_path_factory.mktemp("lite-notebooks"), browser=True)


def test_browser_notebooks_state_light_mode_and_what_cannot_run(browser_notebooks):
    assert len(browser_notebooks) >= 15
    for chapter, path in browser_notebooks.items():
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == "python", chapter  # Pyodide's kernel
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                left = MYST.search(cell.source)
                assert left is None, f"{chapter}: {left.group(0)!r}"
        # first the notes, then the cell that installs the package
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        notes = "\n".join(c.source for c in nb.cells[:first_code])
        assert "**Light mode is on**" in nb.cells[0].source, chapter
        assert nb.cells[first_code].source.startswith("%pip install"), chapter
        assert "reinforce" in nb.cells[first_code].source, chapter
        cannot = re.search(r"cannot run in the browser\.\*\* It needs (\w+)", notes)
        assert (cannot and cannot.group(1)) == NATIVE_ONLY.get(chapter), chapter


# ---------------------------------------------------------------- under Pyodide (Node.js)


@pytest.fixture(scope="session")
def built_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """_build/html with the JupyterLite site: ``make book`` unless it was built after
    every source changed (tests/test_book.py builds it earlier in a full run)."""
    sources = [
        *ROOT.glob("book/*.md"),
        *ROOT.glob("book/_ext/*.py"),
        *ROOT.glob("reinforce/*.py"),
        ROOT / "_config.yml",
        ROOT / "_toc.yml",
    ]
    newest = max(p.stat().st_mtime for p in sources)
    built = [
        LITE / "jupyter-lite.json",
        *(HTML / "book" / f"{c.stem}.html" for c in CHAPTERS),
    ]
    if not all(p.exists() and p.stat().st_mtime > newest for p in built):
        log = tmp_path_factory.mktemp("book") / "build.log"
        with open(log, "w", encoding="utf-8") as out:
            proc = subprocess.run(
                ["make", "--no-print-directory", "book"],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        assert proc.returncode == 0, log.read_text(encoding="utf-8")[-3000:]
    return HTML


NODE_RUNNER = r"""
const fs = require("fs");
const path = require("path");
const [site, code] = process.argv.slice(1);
const dist = path.join(site, "static", "pyodide");
const { loadPyodide } = require(path.join(dist, "pyodide.js"));
(async () => {
  const py = await loadPyodide({ indexURL: dist + path.sep });
  // every package of the site's lock (what the browser kernel may load), from the site
  const lock = JSON.parse(fs.readFileSync(path.join(dist, "pyodide-lock.json"), "utf8"));
  await py.loadPackage(Object.keys(lock.packages), { messageCallback: () => {} });
  py.FS.mkdirTree("/site");
  py.FS.mount(py.FS.filesystems.NODEFS, { root: site }, "/site");
  // the site's pure-Python wheels, the package's among them, as the notebook installs them
  py.runPython("import glob, sys; sys.path[:0] = sorted(glob.glob('/site/pypi/*.whl'))");
  py.runPython(code);
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


def under_pyodide(site: Path, code: str, timeout: float) -> str:
    """What ``code`` prints when run by the site's Pyodide in Node.js."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "node is not installed: this test runs the site's Pyodide in Node.js"
        )
    proc = subprocess.run(
        [node, "-e", NODE_RUNNER, str(site), code],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    return proc.stdout


IMPORT_AND_TRAIN = """
import sys, numpy, reinforce
from reinforce import Config, lite, train
print("python", "%d.%d" % sys.version_info[:2], "numpy", numpy.__version__, sys.platform)
print("light", lite.ACTIVE)
config = Config(stop_when_solved=True)
history = train(config)
print("batch_size", config.batch_size)
print("solved_at", history.solved_at)
"""


@pytest.mark.browser
def test_package_imports_and_trains_under_pyodide(built_html):
    """The site's Pyodide 0.27.7 (Python 3.12, NumPy 2.0.2) in Node.js: ``reinforce``
    imports from its wheel, light mode is on, and the quick win's run solves."""
    out = under_pyodide(built_html / "lite", IMPORT_AND_TRAIN, timeout=600)
    printed = dict(line.split(" ", 1) for line in out.splitlines())
    assert printed["python"].startswith("3.12 numpy 2.0.2 emscripten"), printed
    assert printed["light"] == "True"
    assert printed["batch_size"] == str(preset("fast").batch_size)
    assert printed["solved_at"].isdigit(), printed


RUN_CHAPTER = """
import json, os, time
os.environ["MPLBACKEND"] = "Agg"  # no page to draw on in Node.js
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
nb = json.load(open("/site/files/%s.ipynb", encoding="utf-8"))
start = time.monotonic()
for i, cell in enumerate(nb["cells"]):
    if cell["cell_type"] != "code":
        continue
    # the install line: the wheels are on sys.path already (the rest of its cell runs)
    lines = "".join(cell["source"]).splitlines()
    source = "\\n".join(line for line in lines if not line.startswith("%%pip"))
    result = shell.run_cell(source, silent=True)
    if not result.success:
        raise SystemExit(f"cell {i} failed: {result.error_in_exec or result.error_before_exec!r}")
print(f"CHAPTER_SECONDS {time.monotonic() - start:.0f}")
"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize(
    "chapter",
    [
        "01-quick-win",
        "02-policy-network",
        "03-log-likelihood-trick",
        "04-policy-gradient-theorem",
        "05-baselines",
    ],
)
def test_chapter_runs_under_pyodide(built_html, chapter):
    """Every cell of the chapter's browser notebook, in light mode, under the site's
    Pyodide in Node.js (IPython runs the cells, as the browser kernel does)."""
    out = under_pyodide(built_html / "lite", RUN_CHAPTER % chapter, timeout=1200)
    seconds = re.search(r"^CHAPTER_SECONDS (\d+)$", out, re.M)
    assert seconds is not None, out[-3000:]
    print(f"\n{chapter} under Pyodide (Node.js): {seconds.group(1)} s")


# ---------------------------------------------------------------- the site


@pytest.mark.browser
def test_site_ships_pyodide_and_every_chapter(built_html):
    site = built_html / "lite"
    config = json.loads((site / "jupyter-lite.json").read_text(encoding="utf-8"))
    kernel = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"
    ]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.js"  # no CDN
    assert kernel["disablePyPIFallback"] is True
    pyodide = site / "static" / "pyodide"
    lock = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))
    assert lock["info"]["version"] == jupyterlite_build.PYODIDE_VERSION
    assert lock["info"]["python"].startswith("3.12")
    assert lock["packages"]["numpy"]["version"] == "2.0.2"
    # the kernel hangs at start-up without jedi (and its own wheels) in the lock
    assert {"jedi", "ipython", "micropip", "matplotlib"} <= lock["packages"].keys()
    for entry in lock["packages"].values():  # what the lock lists is on the site
        assert (pyodide / entry["file_name"]).is_file(), entry["file_name"]
    wheels = {p.name.split("-")[0] for p in (site / "pypi").glob("*.whl")}
    assert {"reinforce_from_scratch", "gymnasium", "comm", "sympy"} <= wheels
    index = json.loads((site / "api" / "contents" / "all.json").read_text())
    names = {entry["name"] for entry in index["content"]}
    assert names == {f"{c.stem}.ipynb" for c in CHAPTERS}
    for name in names:
        assert (site / "files" / name).is_file(), name


def test_site_wheels_are_the_pinned_environments_versions():
    """The pure-Python wheels the site ships are the versions requirements.txt pins."""

    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pinned = dict(
        (normal(n), v) for n, v in (line.split("==") for line in lines if "==" in line)
    )
    for requirement in jupyterlite_build.PURE:
        name, version = requirement.split("==")
        assert pinned[normal(name)] == version, requirement


def test_launch_url_is_relative_to_the_page():
    def pathto(
        target: str, resource: int
    ) -> str:  # as Sphinx does for book/<page>.html
        assert resource == 1
        return "../" + target

    url = jupyterlite_launch.launch_url(pathto, "01-quick-win")
    assert url == "../lite/notebooks/index.html?path=01-quick-win.ipynb"


@pytest.mark.browser
def test_every_chapter_page_launches_its_notebook(built_html):
    for chapter in CHAPTERS:
        page = (built_html / "book" / f"{chapter.stem}.html").read_text(
            encoding="utf-8"
        )
        links = re.findall(
            r'href="([^"]*lite/notebooks/index\.html)\?path=([^"]+)"', page
        )
        assert links, f"no launch button on {chapter.stem}"
        for href, path in links:
            assert path == f"{chapter.stem}.ipynb", (chapter.stem, path)
            assert (built_html / "book" / href).resolve().is_file(), href
            assert (built_html / "lite" / "files" / path).is_file(), path


# ---------------------------------------------------------------- Chromium, offline


def native_outputs(nb: nbformat.NotebookNode, last: int) -> str:
    """What the browser notebook's code cells up to ``last`` print when run natively in
    light mode (plain Jupyter kernel, REINFORCE_LITE=1), the install cell left out."""
    import nbclient

    cells = [
        c
        for c in nb.cells[: last + 1]
        if c.cell_type == "code" and not c.source.startswith("%pip")
    ]
    native = nbformat.v4.new_notebook(cells=cells)
    os.environ["REINFORCE_LITE"] = "1"  # the kernel inherits it
    try:
        nbclient.NotebookClient(native, timeout=600, kernel_name="python3").execute()
    finally:
        del os.environ["REINFORCE_LITE"]
    return "".join(
        o.get("text", "") for o in cells[-1].outputs if o.get("name") == "stdout"
    )


@pytest.mark.browser
def test_quick_win_trains_in_the_browser_offline(built_html):
    if not chromium.CHROMIUM.exists():
        pytest.fail(chromium.MISSING)
    proc = subprocess.run(  # Playwright in a process of its own (tests/lite_browser.py)
        [
            sys.executable,
            str(ROOT / "tests" / "lite_browser.py"),
            str(built_html),
            "01-quick-win",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    run = json.loads(proc.stdout.splitlines()[-1])
    print(
        f"\nJupyterLite, quick win: kernel ready {run['kernel_ready_s']} s after page load;"
        f" cells before training {run['cells_before_s']} s; training cell {run['training_s']} s"
    )
    assert run["outside"] == [], f"requests outside 127.0.0.1: {run['outside'][:5]}"
    assert run["first_output"].strip().endswith("light mode: True"), run["first_output"]
    nb = nbformat.read(
        built_html / "lite" / "files" / "01-quick-win.ipynb", as_version=4
    )
    native = native_outputs(nb, run["training_cell"])
    browser = run["output"]

    def printed(text: str) -> dict[str, str]:
        return dict(re.findall(r"^(\w+) = (.+)$", text, re.M))

    ours, theirs = printed(browser), printed(native)
    assert ours["batch_size"] == str(preset("fast").batch_size), browser
    # the config, and the mean return of the first solved_window episodes, agree to the
    # last digit; later episodes part (NumPy 2.0 in WebAssembly and the native NumPy
    # round some results differently in the last bit), and both runs solve
    for name in (
        "hidden",
        "batch_size",
        "gamma",
        "lr",
        "seed",
        "max_episodes",
        "early_mean",
    ):
        assert ours[name] == theirs[name], (name, browser, native)
    assert ours["solved_at"].isdigit() and theirs["solved_at"].isdigit(), (
        browser,
        native,
    )
