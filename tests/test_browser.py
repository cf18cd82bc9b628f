"""The site as a person uses it, in headless Chromium (Debian's `chromium` package, driven by
Playwright): type, pick a suggestion, read highlighted results, refine with facets, open an
article. Skipped, with the reason, where Chromium or Playwright is not installed."""

import re
import shutil

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, newsroom):
    """A fresh tab on the newsroom site that fails the test on any script error or CSP
    violation (both show up as console errors)."""
    context = browser.new_context(base_url=newsroom.url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors = []
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == []


def suggestions(page):
    return page.get_by_role("listbox", name="Suggestions").get_by_role("option")


def test_type_pick_search_refine_and_read(page, tmp_path):
    page.goto("/")
    box = page.get_by_role("combobox", name="Search news articles")
    box.press_sequentially("harb", delay=40)
    sync_api.expect(suggestions(page).first).to_have_text("harbour")
    sync_api.expect(box).to_have_attribute("aria-expanded", "true")

    suggestions(page).first.click()
    page.wait_for_url(re.compile(r"/search\?q=harbour$"))
    sync_api.expect(page.get_by_role("status")).to_contain_text(re.compile(r"5 results\s+in"))
    sync_api.expect(page.get_by_role("searchbox").or_(box)).to_have_value("harbour")
    marks = page.locator(".hit .snippet mark")
    assert marks.count() >= 5 and set(marks.all_inner_texts()) == {"harbour"}
    facets = page.get_by_role("complementary", name="Refine results")
    source = facets.locator("section", has=page.get_by_role("heading", name="Source"))
    sync_api.expect(source.locator("li")).to_have_text(
        [re.compile(r"AP\s+2"), re.compile(r"BBC\s+1"), re.compile(r"Local Gazette\s+1"),
         re.compile(r"Reuters\s+1")])
    screenshot = tmp_path / "results.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    source.get_by_role("link", name="AP").click()
    page.wait_for_url(re.compile(r"source=AP"))
    sync_api.expect(page.get_by_role("status")).to_contain_text(re.compile(r"2 results\s+in"))
    sync_api.expect(page.locator(".hit .source")).to_have_text(["AP", "AP"])
    sync_api.expect(page.get_by_role("link", name="Remove filter source: AP")).to_be_visible()

    page.get_by_role("link", name=re.compile("Dockworkers' strike halts grain")).click()
    page.wait_for_url(re.compile(r"/articles/seeds/harbour-strike\.txt\?q=harbour"))
    sync_api.expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dockworkers' strike halts grain shipments at the harbour")
    sync_api.expect(page.locator("article mark")).to_have_text(["harbour"])
    related = page.get_by_role("complementary", name="Related articles")
    sync_api.expect(related.get_by_role("link").first).to_be_visible()
    assert related.get_by_role("link").count() >= 3


def test_suggestions_work_from_the_keyboard(page):
    page.goto("/")
    box = page.get_by_role("combobox", name="Search news articles")
    box.press_sequentially("elect", delay=40)
    sync_api.expect(suggestions(page).first).to_have_text("election")
    box.press("ArrowDown")
    sync_api.expect(suggestions(page).first).to_have_attribute("aria-selected", "true")
    sync_api.expect(box).to_have_attribute("aria-activedescendant", "q-suggestion-0")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=election$"))
    sync_api.expect(page.get_by_role("status")).to_contain_text(re.compile(r"2 results\s+in"))


def test_escape_closes_suggestions_and_enter_searches_what_was_typed(page):
    page.goto("/")
    box = page.get_by_role("combobox", name="Search news articles")
    box.press_sequentially("harb", delay=40)
    sync_api.expect(suggestions(page).first).to_be_visible()
    box.press("Escape")
    sync_api.expect(page.get_by_role("listbox", name="Suggestions")).to_be_hidden()
    sync_api.expect(box).to_have_attribute("aria-expanded", "false")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=harb$"))
    sync_api.expect(page.get_by_role("main")).to_contain_text("No articles match harb")


def test_histogram_bar_filters_to_its_month(page):
    page.goto("/search?q=harbour")
    page.get_by_role("link", name="Apr 2024: 1 article").click()
    page.wait_for_url(re.compile(r"from=2024-04-01&to=2024-04-30"))
    sync_api.expect(page.locator(".hit time")).to_have_text(["11 Apr 2024"])


def test_search_works_without_javascript(browser, newsroom):
    context = browser.new_context(base_url=newsroom.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    box = page.get_by_role("searchbox", name="Search news articles")
    box.fill("space")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=space$"))
    sync_api.expect(page.locator(".hit h2")).to_have_count(2)
    page.get_by_role("link", name="Newest").click()
    sync_api.expect(page.locator(".sort [aria-current]")).to_have_text("Newest")
    context.close()


def test_results_fit_a_phone_screen(browser, newsroom, tmp_path):
    context = browser.new_context(base_url=newsroom.url, viewport={"width": 360, "height": 740},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto("/search?q=harbour")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    results = page.locator(".results").bounding_box()
    facets = page.get_by_role("complementary", name="Refine results").bounding_box()
    assert facets["y"] > results["y"]  # one column: the filters come after the results
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    context.close()


def test_keyboard_reaches_the_search_box_results_and_facets(page):
    page.goto("/search?q=harbour")
    page.keyboard.press("Tab")
    sync_api.expect(page.get_by_role("link", name="Skip to results")).to_be_focused()
    page.keyboard.press("Enter")
    focused = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert "Grain exports rise as harbour reopens after winter storms" in focused
    assert "Newest" in focused and "AP" in focused
