"""Find Chromium and print one HTML file to PDF with it, once per report.

The whole report is one HTML page with plotly.js inline, printed by a single headless
Chromium run: real typography, tables that continue across pages, page numbers from CSS.
The browser runs under a hard timeout, because a browser that starts but never answers
would otherwise hang the report forever. It runs in its own process group, killed as a whole
on timeout or interrupt (``/usr/bin/chromium`` is a wrapper script, and Chromium starts helper
processes), and dies with the report's process if that is killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from models_py.processes import die_with_parent

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FIXED_PATHS = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/opt/google/chrome/chrome")
HEADLESS_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions",
    "--hide-scrollbars", "--mute-audio",
)
INSTALL_HINT = (
    "No Chrome or Chromium found. Install it (Debian/Ubuntu: `sudo apt-get install -y "
    "chromium`, or run `make setup`), or set BROWSER_PATH to a Chrome/Chromium binary."
)


class BrowserError(RuntimeError):
    """The browser is missing, failed or timed out; the message says what to do."""


def find_browser() -> str:
    """BROWSER_PATH, then Chrome/Chromium names on PATH, then fixed install paths."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        raise BrowserError(f"BROWSER_PATH={configured} is not an executable file. {INSTALL_HINT}")
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for path in FIXED_PATHS:
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
    raise BrowserError(INSTALL_HINT)


def run_headless(args: list[str], timeout_s: float = 120) -> subprocess.CompletedProcess:
    """Run the browser once with a throwaway profile, killed after ``timeout_s``."""
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="couponseg-chrome-") as profile:
        command = [browser, *HEADLESS_FLAGS, f"--user-data-dir={profile}", *args]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True,
                                preexec_fn=die_with_parent())
        try:
            stdout, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            _kill_group(proc)
            raise BrowserError(
                f"{browser} did not finish within {timeout_s:.0f} s (a browser that starts but "
                "never answers); try BROWSER_PATH with another Chrome/Chromium"
            ) from exc
        except BaseException:
            _kill_group(proc)
            raise
        _kill_group(proc)  # helpers the browser left behind
        return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def print_to_pdf(html_path: Path, pdf_path: Path, timeout_s: float = 120) -> Path:
    """Print ``html_path`` to ``pdf_path`` (page size and margins come from the page's CSS)."""
    pdf_path.unlink(missing_ok=True)
    result = run_headless(
        [
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            "--virtual-time-budget=20000",
            f"--print-to-pdf={pdf_path}",
            html_path.resolve().as_uri(),
        ],
        timeout_s,
    )
    if not pdf_path.exists() or pdf_path.stat().st_size == 0:
        tail = (result.stderr or "").strip().splitlines()[-5:]
        raise BrowserError(f"Chromium did not write {pdf_path}: {' | '.join(tail)}")
    return pdf_path


def dump_dom(html_path: Path, timeout_s: float = 60) -> str:
    """The page's DOM after its scripts ran (lets tests check that charts drew)."""
    result = run_headless(
        ["--virtual-time-budget=20000", "--dump-dom", html_path.resolve().as_uri()], timeout_s
    )
    if result.returncode != 0:
        raise BrowserError(f"Chromium failed on {html_path}: {result.stderr.strip()[-500:]}")
    return result.stdout
