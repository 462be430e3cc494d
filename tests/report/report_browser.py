"""Open an HTML file in headless Chromium and report what a reader would hit.

Uses the system's chromium and chromedriver (Debian: ``apt-get install
chromium chromium-driver``) through selenium, with the driver's path given
explicitly so that selenium never looks for or downloads a driver.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

WIDTH = 1280

_CANDIDATES = {
    "chromium": ("chromium", "chromium-browser", "google-chrome"),
    "chromedriver": ("chromedriver",),
}


def _which(kind: str) -> str | None:
    for name in _CANDIDATES[kind]:
        path = shutil.which(name)
        if path:
            return path
    for path in ("/usr/lib/chromium/chromium", "/usr/lib/chromium/chromedriver"):
        if Path(path).name.startswith(kind) and Path(path).is_file():
            return path
    return None


def missing() -> str | None:
    """Why the browser checks cannot run here, or None when they can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if _which("chromium") is None:
        return "chromium is not installed (Debian: apt-get install chromium chromium-driver)"
    if _which("chromedriver") is None:
        return "chromedriver is not installed (Debian: apt-get install chromium-driver)"
    return None


@dataclass
class PageCheck:
    errors: list[str]  # console messages at level SEVERE
    images: int  # <img> elements
    broken: list[str]  # alt texts of images not loaded (incomplete or naturalWidth 0)
    scroll_width: int  # document.documentElement.scrollWidth at a WIDTH px window
    client_width: int
    title: str


def check_page(
    path: Path, screenshot: Path | None = None, *, full_page: bool = False, height: int = 900
) -> PageCheck:
    """Load ``path`` at a 1280 px window; console errors, images, horizontal overflow.

    ``screenshot``: a PNG of the first ``height`` px (``full_page``: all of it).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = _which("chromium")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={WIDTH},900",
        "--hide-scrollbars",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=_which("chromedriver")), options=opts)
    try:
        driver.set_window_size(WIDTH, 900)
        driver.get(Path(path).resolve().as_uri())
        driver.execute_script("return document.readyState")
        images = driver.execute_script("return document.images.length")
        broken = driver.execute_script(
            "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.alt)"
        )
        # open every expandable row too: its text must fit as well
        driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
        scroll = driver.execute_script("return document.documentElement.scrollWidth")
        client = driver.execute_script("return document.documentElement.clientWidth")
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        if screenshot is not None:
            driver.execute_script(
                "document.querySelectorAll('details').forEach(d => d.open = false)"
            )
            if full_page:
                total = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(WIDTH, int(total) + 100)
            else:
                driver.set_window_size(WIDTH, height)
            driver.save_screenshot(str(screenshot))
        return PageCheck(errors, int(images), list(broken), int(scroll), int(client), driver.title)
    finally:
        driver.quit()
