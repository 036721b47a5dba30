"""Debian's Chromium, launched the one way every tool of the book launches it, and the
local web server it reads a built site from.

The PDF printer (book/_ext/print_pdf.py), the browser tests (tests/test_book.py) and the
JupyterLite run (tests/lite_browser.py) drive the system browser through Playwright (no
downloaded one) with this command line; ``offline=True`` adds the two flags that keep a
page from reaching anything but 127.0.0.1. :func:`serve` serves a directory on the
loopback interface for the duration of a block. Importable from the extension folder (a
script's own folder) and from the tests, which put ``book/_ext`` on ``sys.path``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
#: the flags of every launch: headless, no sandbox (containers), no GPU, and none of
#: Chromium's own traffic (first-run pages, component updates, sync, QUIC probes)
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: offline: every host name but 127.0.0.1 unresolvable, every other request sent to a
#: port nobody listens on
OFFLINE = (
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
)
#: what to say when the browser is not installed
MISSING = f"{CHROMIUM} is missing: install it with  apt-get install -y chromium"


def chromium_args(*, offline: bool = False) -> list[str]:
    """The command-line flags of a launch."""
    return [*ARGS, *(OFFLINE if offline else ())]


def launch(playwright: Any, *, offline: bool = False) -> Any:
    """Debian's Chromium started by ``playwright`` (a ``sync_playwright()`` session)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=chromium_args(offline=offline)
    )


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, without a log line per request."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def serve(
    directory: Path,
    handler: type[http.server.SimpleHTTPRequestHandler] = QuietHandler,
    **options: Any,
) -> Iterator[str]:
    """``directory`` served over HTTP on a free port of 127.0.0.1 for the duration of
    the block, by ``handler`` (given ``options``); yields the root URL, ending in /."""
    factory = functools.partial(handler, directory=str(directory), **options)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), factory)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
