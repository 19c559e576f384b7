#!/usr/bin/env python3
"""browser_check.py — open an exhaust HTML report in headless Chromium and
check that it really works: the charts drew, no JavaScript error happened,
the expected elements are there, and a screenshot shows something.

    browser_check.py REPORT.html --screenshot OUT.png \
        [--expect-selector '#quality' ...] [--min-charts N]

Three Chromium runs, each with a fresh profile and a 60 s limit:
  1. --dump-dom: the DOM after the scripts ran (a virtual-time budget lets
     them finish). <body data-charts-rendered> must be >= --min-charts,
     #report-errors must have data-count="0", and every --expect-selector
     (#id, .class, tag, or tag#id / tag.class) must match an element.
  2. --screenshot at 1280x4000: the PNG must exist and not be blank (its
     pixels must use more than a handful of distinct byte values).
  3. The console log of both runs (--enable-logging=stderr): any error-level
     console line or "Uncaught" exception fails.

Exit status: 0 all good, 1 a check failed (each failure is printed), 77
Chromium is not installed (CTest's "skipped"), 2 bad usage. Python standard
library only. Chromium is $CHROMIUM when set (only that), else
/usr/bin/chromium, else chromium / chromium-browser / google-chrome on PATH.
"""
import argparse
import html
import html.parser
import os
import re
import shutil
import subprocess
import sys
import struct
import tempfile
import zlib

TIMEOUT_S = 60
SKIP = 77
# Distinct byte values in a screenshot's pixel data: a blank page has ~4.
MIN_DISTINCT_BYTES = 16

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--allow-file-access-from-files", "--hide-scrollbars",
    "--enable-logging=stderr", "--v=0",
    "--virtual-time-budget=5000",
]


def find_chromium():
    if "CHROMIUM" in os.environ:  # exactly this one (also how to test the skip)
        candidate = os.environ["CHROMIUM"]
        return candidate if candidate and os.access(candidate, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def run_chromium(chromium, extra, url):
    """Run Chromium once with a fresh profile; returns (stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix="browser-check-") as profile:
        command = [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise CheckError(f"chromium ran past {TIMEOUT_S} s: {' '.join(command)}") from e
        stdout = done.stdout.decode("utf-8", "replace")
        stderr = done.stderr.decode("utf-8", "replace")
        if done.returncode != 0:
            raise CheckError(f"chromium exited with {done.returncode}:\n{stderr[-2000:]}")
        return stdout, stderr


class CheckError(Exception):
    pass


class Elements(html.parser.HTMLParser):
    """Collects (tag, attributes) of every element in the dumped DOM."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: (v or "") for k, v in attrs}))

    handle_startendtag = handle_starttag


SELECTOR = re.compile(r"^([a-zA-Z][\w-]*)?(?:([#.])([\w-]+))?$")


def matches(selector, tag, attrs):
    m = SELECTOR.match(selector)
    name, kind, value = m.group(1), m.group(2), m.group(3)
    if name and name.lower() != tag:
        return False
    if kind == "#":
        return attrs.get("id") == value
    if kind == ".":
        return value in attrs.get("class", "").split()
    return True


def check_dom(dom, min_charts, selectors):
    failures = []
    parser = Elements()
    parser.feed(dom)
    elements = parser.elements
    body = next((a for t, a in elements if t == "body"), None)
    if body is None:
        return ["the dumped DOM has no <body>"]
    rendered = body.get("data-charts-rendered")
    if rendered is None or not rendered.isdigit():
        failures.append("<body> has no data-charts-rendered: the chart script did not finish")
    elif int(rendered) < min_charts:
        failures.append(f"{rendered} charts drawn, expected at least {min_charts}")
    box = next((a for t, a in elements if a.get("id") == "report-errors"), None)
    if box is None:
        failures.append("no #report-errors element")
    elif box.get("data-count") != "0":
        listed = re.search(r'id="report-errors".*?<ul>(.*?)</ul>', dom, re.S)
        items = re.findall(r"<li>(.*?)</li>", listed.group(1), re.S) if listed else []
        detail = "".join(f"\n      {html.unescape(item)}" for item in items)
        failures.append(f"#report-errors has data-count={box.get('data-count')!r}:{detail}")
    for selector in selectors:
        if not any(matches(selector, t, a) for t, a in elements):
            failures.append(f"no element matches {selector!r}")
    return failures


CONSOLE_LINE = re.compile(r":(INFO|WARNING|ERROR|FATAL|VERBOSE\d*):CONSOLE")


def check_console(stderr):
    """Error-level console lines and uncaught exceptions. (New headless
    Chromium logs every console message at INFO, so "Uncaught" is what
    catches exceptions; the report's own script lists console.error calls in
    #report-errors, which check_dom reads.)"""
    failures = []
    for line in stderr.splitlines():
        level = CONSOLE_LINE.search(line)
        if "CONSOLE" not in line:
            continue
        if (level and level.group(1) in ("ERROR", "FATAL")) or "Uncaught" in line:
            # Without the "[pid:tid:time:" prefix, so both runs' copies merge.
            failures.append("console: " + re.sub(r"^\[[^\]]*\]\s*", "", line.strip()))
    return failures


def png_pixel_bytes(path):
    """(width, height, the decompressed, still filtered, pixel rows) of a PNG;
    raises CheckError when it is not a PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise CheckError(f"{path}: not a PNG file")
    pos, idat, width, height = 8, [], 0, 0
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    try:
        return width, height, zlib.decompress(b"".join(idat))
    except zlib.error as e:
        raise CheckError(f"{path}: corrupt PNG: {e}") from e


def check_screenshot(path):
    """A blank page is one colour, so its pixel rows (even filtered) use a
    handful of byte values (4 for white); any text, antialiased as it is,
    brings hundreds. File size alone cannot tell: a page with one heading is
    barely larger than a blank one."""
    if not os.path.exists(path):
        return [f"{path}: no screenshot was written"]
    width, height, pixels = png_pixel_bytes(path)
    distinct = len(set(pixels))
    if distinct < MIN_DISTINCT_BYTES:
        return [f"{path}: {width}x{height} looks blank ({distinct} distinct byte values, "
                f"expected >= {MIN_DISTINCT_BYTES})"]
    return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", help="the report to open")
    parser.add_argument("--screenshot", required=True, help="where to write the PNG")
    parser.add_argument("--expect-selector", action="append", default=[], metavar="CSS",
                        help="#id, .class, tag, tag#id or tag.class; repeatable")
    parser.add_argument("--min-charts", type=int, default=0, metavar="N")
    args = parser.parse_args()
    for selector in args.expect_selector:
        if not SELECTOR.match(selector) or selector == "":
            parser.error(f"unsupported selector {selector!r} (use #id, .class, tag, tag#id)")

    chromium = find_chromium()
    if not chromium:
        print("SKIP: headless Chromium not found (install Debian's chromium, or set "
              "$CHROMIUM); the report was not checked in a browser")
        return SKIP
    if not os.path.isfile(args.html):
        print(f"FAIL: {args.html}: no such file")
        return 1
    url = "file://" + os.path.abspath(args.html)
    screenshot = os.path.abspath(args.screenshot)
    if os.path.exists(screenshot):
        os.remove(screenshot)  # so a stale one cannot pass

    failures = []
    try:
        dom, log = run_chromium(chromium, ["--dump-dom"], url)
        failures += check_dom(dom, args.min_charts, args.expect_selector)
        failures += check_console(log)
        _, log = run_chromium(chromium, [f"--screenshot={screenshot}",
                                         "--window-size=1280,4000"], url)
        failures += check_console(log)
        failures += check_screenshot(screenshot)
    except CheckError as e:
        failures.append(str(e))
    if failures:
        print(f"FAIL: {args.html}")
        for failure in dict.fromkeys(failures):  # the two runs may log the same error
            print(f"  - {failure}")
        return 1
    rendered = re.search(r'data-charts-rendered="(\d+)"', dom)
    print(f"OK: {args.html}: {rendered.group(1) if rendered else 0} charts drawn, no errors, "
          f"screenshot {screenshot} ({os.path.getsize(screenshot)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
