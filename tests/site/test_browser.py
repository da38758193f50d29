"""The site as a person sees it, in a real Chromium (Debian's ``chromium`` driven by Selenium
through ``chromium-driver``). ``scripts/install-chromium.sh`` installs both; these tests skip,
saying so, only when no Chromium can be found after that."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.site.conftest import ARTIFACTS, REPORT_1, BuiltSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Headless as root in a container, and no traffic of Chromium's own (updates, sync, QUIC
# probes): the only fetches are the site's own files.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1800",
)


def find_chromium() -> tuple[str, str] | None:
    binary = next((p for name in ("chromium", "chromium-browser") if (p := shutil.which(name))), None)
    driver = shutil.which("chromedriver")
    return (binary, driver) if binary and driver else None


def launch(javascript: bool = True) -> Any:
    found = find_chromium()
    if found is None:
        pytest.skip(
            "no Chromium here: `bash scripts/install-chromium.sh` (root, Debian's apt) installs chromium and "
            "chromium-driver; browser downloads from elsewhere are blocked on these machines"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = found
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='ddor-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service(driver), options=options)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = launch()
    yield driver
    driver.quit()


def open_page(browser: Any, site: BuiltSite, relative: str) -> list[dict[str, Any]]:
    """Load a page from file:// (the hardest host: no server at all); returns its console errors."""
    browser.get((site.out / relative).as_uri())
    browser.get_log("browser")  # drop entries of earlier pages... then read this page's own
    browser.refresh()
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_report_1_loads_with_no_console_errors_and_a_screenshot_is_written(browser: Any, built_site: BuiltSite) -> None:
    assert open_page(browser, built_site, REPORT_1) == []
    assert browser.title.startswith("DDOR Jan 28 – Feb 3, 2017")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report1.png"
    shot.unlink(missing_ok=True)
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, min(int(height), 2400))  # the figures, changes, map and the first table
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    browser.set_window_size(1280, 1800)


@pytest.mark.parametrize(
    "relative", ["index.html", "jurisdictions/tx-travis.html", "reports/quarterly-2018-01-01.html"]
)
def test_other_pages_load_with_no_console_errors(browser: Any, built_site: BuiltSite, relative: str) -> None:
    assert open_page(browser, built_site, relative) == []


def test_the_map_draws_every_county_and_travis_shows_142_on_hover(browser: Any, built_site: BuiltSite) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    open_page(browser, built_site, REPORT_1)
    drawn = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.map g.counties path'))"
        ".filter(p => p.getBBox().width > 0 || p.getBBox().height > 0).length"
    )
    assert drawn == 3142
    travis = browser.find_element(By.CSS_SELECTOR, 'svg.map path[data-fips="48453"]')
    assert travis.get_attribute("data-value") == "142"
    assert travis.find_element(By.TAG_NAME, "title").get_attribute("textContent") == "Travis County, TX: 142 declined"
    before = travis.value_of_css_property("stroke-width")
    ActionChains(browser).move_to_element(travis).perform()
    assert travis.value_of_css_property("stroke-width") != before  # the hovered county is outlined


def _column(browser: Any, table_id: str, index: int) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll(`#${arguments[0]} tbody tr`))"
        ".filter(r => !r.hidden).map(r => r.cells[arguments[1]].textContent.trim())",
        table_id,
        index,
    )


def test_sorting_a_column_reorders_the_rows(browser: Any, built_site: BuiltSite) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, built_site, REPORT_1)
    counties = _column(browser, "section-ii-table", 1)
    header = browser.find_element(By.CSS_SELECTOR, "#section-ii-table thead th:nth-child(2) button")
    header.click()
    ascending = _column(browser, "section-ii-table", 1)
    assert ascending != counties and ascending == sorted(counties, key=str.casefold)
    header.click()
    assert _column(browser, "section-ii-table", 1) == list(reversed(ascending))
    pages = browser.find_element(By.CSS_SELECTOR, "#section-ii-table thead th:last-child button")
    pages.click()
    numbers = [int(p.removeprefix("p.").strip()) for p in _column(browser, "section-ii-table", 8)]
    assert numbers == sorted(numbers)  # numeric, not text order (p. 10 after p. 9)


def test_filtering_keeps_only_matching_rows(browser: Any, built_site: BuiltSite) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, built_site, REPORT_1)
    box = browser.find_element(By.XPATH, '//table[@id="section-ii-table"]/preceding-sibling::label//input')
    box.send_keys("Travis County")
    assert _column(browser, "section-ii-table", 1) == ["Travis County"] * 142


def test_without_javascript_the_tables_are_whole_and_the_map_is_there(built_site: BuiltSite) -> None:
    from selenium.webdriver.common.by import By

    driver = launch(javascript=False)
    try:
        driver.get((built_site.out / REPORT_1).as_uri())
        assert len(driver.find_elements(By.CSS_SELECTOR, "#section-ii-table tbody tr")) == 206
        assert driver.find_elements(By.CSS_SELECTOR, "label.filter") == []  # the script never ran
        assert driver.find_elements(By.CSS_SELECTOR, "th button") == []
        assert len(driver.find_elements(By.CSS_SELECTOR, "svg.map g.counties path")) == 3142
    finally:
        driver.quit()
