"""Check the built documentation site in a real headless browser (Chromium).

Serves the site on 127.0.0.1, opens every HTML page in headless Chromium (driven over the
DevTools protocol through a pipe: standard library only), and fails on

* a resource the page could not load (image, stylesheet, script: HTTP error or network
  failure, including anything the page tries to fetch from another host),
* an image that did not decode (``naturalWidth == 0``),
* a JavaScript error,
* a link to a page or file of the site that does not exist, or to an anchor that the
  target page does not have.

Links to other hosts are counted, not fetched (the check runs offline). Screenshots of the
home page and of the bench's ``report.html`` are written to ``--screenshots``.

Usage: ``python docs/mkdocs/browser_check.py build/docs-site --screenshots build/docs-check``
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlsplit

SCREENSHOTS = {"home.png": "index.html", "bench-report.png": "bench-report/report.html"}

#: Collected in the page after its load event.
PROBE = """
(() => {
  const imgs = Array.from(document.images)
    .filter(i => !(i.complete && i.naturalWidth > 0))
    .map(i => i.currentSrc || i.src || '(no src)');
  const sheets = Array.from(document.querySelectorAll('link[rel=stylesheet]'))
    .filter(l => !l.sheet).map(l => l.href);
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.href);
  const ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id)
    .concat(Array.from(document.querySelectorAll('a[name]')).map(a => a.name));
  return JSON.stringify({imgs, sheets, links, ids, title: document.title});
})()
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class Chromium:
    """A headless Chromium driven over ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, binary: str, profile: str) -> None:
        to_chrome_r, self._to_chrome_w = os.pipe()
        self._from_chrome_r, from_chrome_w = os.pipe()
        flags = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
            f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank",
        ]  # fmt: skip
        script = f'exec 3<&{to_chrome_r} 4>&{from_chrome_w}; exec "$0" "$@"'
        self.proc = subprocess.Popen(
            ["bash", "-c", script, binary, *flags], pass_fds=(to_chrome_r, from_chrome_w),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        while True:
            chunk = os.read(self._from_chrome_r, 1 << 16)
            if not chunk:
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    with self._lock:
                        box = self._replies.get(msg["id"])
                    if box is not None:
                        box.put(msg)
                else:
                    self.events.put(msg)

    def send(self, method: str, params: dict[str, Any] | None = None, *,
             session: str | None = None, timeout: float = 30.0) -> dict[str, Any]:  # fmt: skip
        """Send one command and wait for its reply."""
        with self._lock:
            self._next += 1
            ident = self._next
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[ident] = box
        msg: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome_w, json.dumps(msg).encode() + b"\0")
        try:
            reply = box.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"Chromium did not answer {method} in {timeout:.0f} s") from None
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (OSError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _wait_for(browser: Chromium, session: str, method: str, timeout: float,
              sink: list[dict[str, Any]]) -> None:  # fmt: skip
    """Wait for an event of this session; every event seen on the way goes to ``sink``."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {method} within {timeout:.0f} s")
        try:
            ev = browser.events.get(timeout=left)
        except queue.Empty:
            continue
        if ev.get("sessionId") != session:
            continue
        sink.append(ev)
        if ev.get("method") == method:
            return


def _drain(browser: Chromium, session: str, sink: list[dict[str, Any]], quiet: float) -> None:
    """Collect this session's events until none came for ``quiet`` seconds."""
    while True:
        try:
            ev = browser.events.get(timeout=quiet)
        except queue.Empty:
            return
        if ev.get("sessionId") == session:
            sink.append(ev)


def _problems_from_events(events: list[dict[str, Any]], origin: str) -> list[str]:
    out = []
    urls: dict[str, str] = {}
    for ev in events:
        m, p = ev.get("method"), ev.get("params", {})
        if m == "Network.requestWillBeSent":
            urls[p["requestId"]] = p["request"]["url"]
        elif m == "Network.responseReceived" and p["response"]["url"] == f"{origin}/favicon.ico":
            continue  # the browser's own guess for a page that names no icon
        elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
            out.append(f"HTTP {p['response']['status']} for {p['response']['url']}")
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            out.append(f"failed to load {urls.get(p['requestId'], '?')}: {p.get('errorText')}")
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text")
            out.append(f"JavaScript error: {text}")
    return out


def check_site(site: Path, shots: Path | None, binary: str) -> int:
    """Check every page of ``site``; returns the number of problems (0: all good)."""
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    profile = tempfile.mkdtemp(prefix="focalkit-docs-check-")
    browser = Chromium(binary, profile)
    problems: list[str] = []
    found: dict[str, dict[str, Any]] = {}
    t0 = time.perf_counter()
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["sessionId"]  # fmt: skip
        for method in ("Page.enable", "Runtime.enable", "Network.enable"):
            browser.send(method, session=session)
        browser.send("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": 1800, "deviceScaleFactor": 1, "mobile": False,
        }, session=session)  # fmt: skip
        for page in pages:
            events: list[dict[str, Any]] = []
            browser.send("Page.navigate", {"url": f"{origin}/{page}"}, session=session)
            _wait_for(browser, session, "Page.loadEventFired", 30, events)
            _drain(browser, session, events, 0.05)
            res = browser.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                               session=session)  # fmt: skip
            info = json.loads(res["result"]["value"])
            found[page] = info
            problems += [f"{page}: {p}" for p in _problems_from_events(events, origin)]
            problems += [f"{page}: image not shown: {u[:120]}" for u in info["imgs"]]
            problems += [f"{page}: stylesheet not loaded: {u}" for u in info["sheets"]]
            if shots is not None and page in SCREENSHOTS.values():
                shot = browser.send("Page.captureScreenshot", {"format": "png"},
                                    session=session)  # fmt: skip
                name = next(k for k, v in SCREENSHOTS.items() if v == page)
                shots.mkdir(parents=True, exist_ok=True)
                (shots / name).write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.close()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)

    external: set[str] = set()
    n_links = 0
    for page, info in found.items():
        for href in info["links"]:
            url, frag = urldefrag(href)
            parts = urlsplit(url)
            if parts.scheme in ("mailto", "javascript", "data"):
                continue
            if f"{parts.scheme}://{parts.netloc}" != origin:
                external.add(href)
                continue
            n_links += 1
            rel = unquote(parts.path).lstrip("/")
            path = site / rel
            if path.is_dir():
                rel = (Path(rel) / "index.html").as_posix()
                path = site / rel
            if not path.is_file():
                problems.append(f"{page}: broken link to {rel}")
            elif frag and rel in found and unquote(frag) not in found[rel]["ids"]:
                problems.append(f"{page}: link to a missing anchor {rel}#{frag}")
    took = time.perf_counter() - t0
    problems = list(dict.fromkeys(problems))
    for p in problems:
        print(f"docs-check: {p}", file=sys.stderr)
    print(f"docs-check: {len(pages)} pages, {n_links} links within the site checked, "
          f"{len(external)} links to other hosts not fetched; {len(problems)} problem(s); "
          f"{took:.1f} s in Chromium")  # fmt: skip
    if shots is not None:
        print(f"docs-check: screenshots in {shots}: " + ", ".join(sorted(SCREENSHOTS)))
    return len(problems)


def main(argv: list[str] | None = None) -> int:
    """Command line of the check."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built site (build/docs-site)")
    parser.add_argument("--screenshots", type=Path, help="folder for the two screenshots")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"),
                        help="the browser binary (default: chromium, or $CHROMIUM)")
    args = parser.parse_args(argv)
    binary = shutil.which(args.chromium)
    if binary is None:
        print(f"docs-check: {args.chromium!r} not found; install Debian's chromium "
              "(make docs-check does) or pass --chromium", file=sys.stderr)  # fmt: skip
        return 2
    if not (args.site / "index.html").is_file():
        print(f"docs-check: {args.site} has no index.html; run make docs first",
              file=sys.stderr)
        return 2
    return 1 if check_site(args.site, args.screenshots, binary) else 0


if __name__ == "__main__":
    raise SystemExit(main())
