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


SCREENS = {"wide": {"viewport": {"width": 1280, "height": 900}},
           "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True,
                     "has_touch": True}}


def watched_tab(browser, base_url: str, screen: dict):
    """A fresh tab that fails the test on any script error or CSP violation (both show up
    as console errors); a generator for a fixture to yield from."""
    context = browser.new_context(base_url=base_url, **screen)
    tab = context.new_page()
    errors = []
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == []


@pytest.fixture()
def page(browser, newsroom):
    """A fresh tab on the newsroom site at 1280 px."""
    yield from watched_tab(browser, newsroom.url, SCREENS["wide"])


@pytest.fixture(params=list(SCREENS))
def screen(request, browser, newsroom):
    """A fresh tab on the newsroom site at 1280 px, then at 360 px on a phone."""
    yield from watched_tab(browser, newsroom.url, SCREENS[request.param])


def open_filters(page) -> None:
    """On a phone the filters are a closed bar; open it (on a wide screen they are open)."""
    bar = page.get_by_text("Refine: dates, source, language")
    if bar.is_visible():
        bar.click()


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
    sync_api.expect(page.locator("article mark")).to_have_text(["harbour", "harbour"])  # h1, text
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


@pytest.fixture()
def phone(browser, newsroom):
    context = browser.new_context(base_url=newsroom.url, viewport={"width": 360, "height": 740},
                                  is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def test_results_fit_a_phone_screen_with_the_filters_in_a_bar_at_the_top(phone, tmp_path):
    phone.goto("/search?q=harbour")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    bar = phone.get_by_text("Refine: dates, source, language")
    first_hit = phone.locator(".hit").first.bounding_box()
    assert bar.bounding_box()["y"] + bar.bounding_box()["height"] <= first_hit["y"] < 740
    source = phone.get_by_role("link", name="AP", exact=True)
    sync_api.expect(source).to_be_hidden()  # closed: the results come first on the screen
    phone.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    bar.tap()
    sync_api.expect(source).to_be_visible()
    sync_api.expect(phone.get_by_role("link", name="Past month")).to_be_visible()
    source.tap()
    phone.wait_for_url(re.compile(r"source=AP"))
    sync_api.expect(phone.locator(".hit .source")).to_have_text(["AP", "AP"])


def test_the_filters_are_open_beside_the_results_on_a_wide_screen(page):
    page.goto("/search?q=harbour")
    sync_api.expect(page.get_by_text("Refine: dates, source, language")).to_be_hidden()
    facets = page.get_by_role("complementary", name="Refine results")
    sync_api.expect(facets.get_by_role("link", name="AP", exact=True)).to_be_visible()
    assert facets.bounding_box()["x"] > page.locator(".hit").first.bounding_box()["x"] + 600


def test_date_presets_count_back_from_the_newest_match_of_an_old_archive(screen):
    screen.goto("/search?q=harbour")
    newest = max(screen.locator(".hit time").evaluate_all("els => els.map(e => e.dateTime)"))
    open_filters(screen)
    sync_api.expect(screen.locator(".presets-note")).to_contain_text("Counted back from the newest")
    screen.get_by_role("link", name="Past month").click()
    screen.wait_for_url(re.compile(rf"from=\d{{4}}-\d\d-\d\d&to={newest}$"))
    sync_api.expect(screen.locator(".presets [aria-current]")).to_have_text("Past month")
    dates = screen.locator(".hit time").evaluate_all("els => els.map(e => e.dateTime)")
    assert dates and all(date <= newest for date in dates)
    open_filters(screen)
    sync_api.expect(screen.get_by_role("heading", name="Articles per day")).to_be_visible()
    screen.get_by_role("link", name="Any time").click()
    sync_api.expect(screen.get_by_role("status")).to_contain_text(re.compile(r"5 results\s+in"))


def test_histogram_of_one_month_or_one_hit_is_drawn_by_the_day(screen):
    screen.goto("/search?q=harbour&from=2024-04-01&to=2024-04-30")
    open_filters(screen)
    sync_api.expect(screen.get_by_role("heading", name="Articles per day")).to_be_visible()
    bar = screen.get_by_role("link", name="11 Apr 2024: 1 article")
    svg = screen.locator(".histogram svg").bounding_box()
    assert bar.bounding_box()["width"] < svg["width"] / 20  # one day of thirty, not a block
    assert screen.locator(".histogram-axis").inner_text().split() == ["1", "Apr", "2024", "30",
                                                                      "Apr", "2024"]
    bar.click()
    screen.wait_for_url(re.compile(r"from=2024-04-11&to=2024-04-11"))
    sync_api.expect(screen.locator(".hit time")).to_have_text(["11 Apr 2024"])


def test_n_similar_opens_the_copies_of_the_story(screen):
    screen.goto("/search?q=grain+exports")
    screen.get_by_role("link", name="1 similar").click()
    screen.wait_for_url(re.compile(r"story=seeds"))
    sync_api.expect(screen.get_by_role("status")).to_contain_text(re.compile(r"2 results\s+in"))
    sync_api.expect(screen.locator(".hit h2")).to_have_text(
        ["Grain exports rise as harbour reopens after winter storms"] * 2)
    screen.get_by_role("link", name=re.compile("Remove filter story")).click()
    sync_api.expect(screen.locator(".hit .similar")).to_have_text(["1 similar"])


def test_article_page_leads_back_to_the_same_results(screen):
    screen.goto("/search?q=harbour&source=AP&sort=oldest&per_page=1")
    screen.get_by_role("link", name="Next →").click()
    screen.wait_for_url(re.compile(r"page=2"))
    results_url = screen.url
    screen.locator(".hit h2 a").click()
    screen.wait_for_url(re.compile(r"/articles/seeds/harbour-strike\.txt\?"))
    sync_api.expect(screen.locator("article mark").first).to_have_text("harbour")
    screen.get_by_role("link", name=re.compile("Back to results")).click()
    screen.wait_for_url(results_url)
    sync_api.expect(screen.locator(".pagination [aria-current]")).to_have_text("2")
    sync_api.expect(screen.get_by_role("link", name="Remove filter source: AP")).to_be_visible()
    sync_api.expect(screen.locator(".sort [aria-current]")).to_have_text("Oldest")


def test_hits_and_articles_in_other_languages_say_so(screen):
    screen.goto("/search?q=hafen+OR+port+OR+%D0%BF%D0%BE%D1%80%D1%82")
    german = screen.locator(".hit").filter(has_text="Hamburger Hafen")
    sync_api.expect(german.locator("h2")).to_have_attribute("lang", "de")
    sync_api.expect(german.locator(".snippet")).to_have_attribute("lang", "de")
    sync_api.expect(german.locator(".language")).to_have_text("German")
    english = screen.locator(".hit").filter(has_text="harbour").first
    assert english.locator("h2").get_attribute("lang") is None  # the page's own language
    german.locator("h2 a").click()
    sync_api.expect(screen.locator("h1")).to_have_attribute("lang", "de")
    sync_api.expect(screen.locator("article .body")).to_have_attribute("lang", "de")


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
