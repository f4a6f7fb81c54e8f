"""Screenshot an HTML page in headless Chromium (Debian's, found by scripts/browser.sh), for README.

exhume audit fixtures-copy --format html -o /tmp/audit.html
.venv/bin/python scripts/screenshot.py /tmp/audit.html docs/audit-report.png
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--width", type=int, default=1100)
    args = parser.parse_args()
    browser_path = os.environ.get("EXHUME_CHROMIUM") or shutil.which("chromium")
    if not browser_path:
        raise SystemExit("no chromium: run scripts/browser.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": args.width, "height": 800})
        page.goto(args.page.resolve().as_uri())
        page.screenshot(path=str(args.output), full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
