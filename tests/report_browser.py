"""Open a report in headless Debian chromium with the network blocked and inspect what rendered.

Shared by the report tests and the README screenshot; no test lives here.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# Counts per figure div: plotly root, svg layers, and for a geo map its land/coastline paths.
_INSPECT_JS = """
const out = {};
for (const box of document.querySelectorAll('.gf-figure')) {
  const key = box.dataset.figure;
  const plot = box.querySelector('.js-plotly-plot');
  out[key] = {
    plotly: plot ? plot.classList.contains('js-plotly-plot') && !!plot._fullLayout : false,
    main_svg: box.querySelectorAll('.main-svg').length,
    traces: plot && plot._fullData ? plot._fullData.length : 0,
    geo_paths: box.querySelectorAll('.geo .layer path, .geo .bglayer path, .geolayer path').length,
    land_paths: box.querySelectorAll('.geo path.land, .geo .land path, path.land').length,
    marks: box.querySelectorAll('.point, .trace path, .hm image, .heatmaplayer image, .bars path').length,
  };
}
return out;
"""


@dataclass
class PageReport:
    figures: dict[str, dict[str, Any]]
    console: list[dict[str, Any]]
    requests: list[str] = field(default_factory=list)
    title: str = ""


def available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def open_offline(html_path: Path, screenshot: Path | None = None, width: int = 1280,
                 settle_s: float = 1.5) -> PageReport:
    """Load ``html_path`` with every network path blocked; return figures, console, requests."""
    import time

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="gridfirst-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                 # Any request that slips past the offline emulation goes to a closed port.
                 "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                 f"--window-size={width},1000"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
        driver.get_log("performance")  # drop the browser's own start-up traffic (new tab page)
        driver.get(html_path.resolve().as_uri())
        deadline = time.time() + 30
        while time.time() < deadline:
            if driver.execute_script("return document.readyState") == "complete":
                break
            time.sleep(0.1)
        time.sleep(settle_s)
        figures = driver.execute_script(_INSPECT_JS)
        console = driver.get_log("browser")
        requests = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                url = message["params"]["request"]["url"]
                if not url.startswith(("file:", "data:", "blob:", "about:", "chrome:")):
                    requests.append(url)
        title = driver.title
        if screenshot is not None:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(width, min(int(height) + 40, 16000))
            time.sleep(0.8)
            driver.save_screenshot(str(screenshot))
        return PageReport(figures=figures, console=console, requests=requests, title=title)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
