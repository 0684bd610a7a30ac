"""The search page in a real browser: Debian's Chromium, headless, driven by Playwright (no browser
download). Type a query and play the clip; upload a face photo and see that person's clips; look
at a movie page. Screenshots land in artifacts/screenshots/ (CI keeps them)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import movie_builder as mb
import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required"]


def _serving(library: Path):
    """The app over a library on a free loopback port, in a thread: yields its base URL."""
    from werkzeug.serving import make_server

    from cinesearch.web.app import create_app

    srv = make_server("127.0.0.1", 0, create_app({"LIBRARY": str(library)}), threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture(scope="module")
def server(web_library):
    yield from _serving(web_library)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (deploy/setup.sh installs it with CINESEARCH_SETUP_TESTS=1)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_type_a_query_see_results_and_play_from_the_start(page, server):
    page.goto(server + "/")
    page.fill("#q", "someone asks for the blue umbrella at the railway station")
    page.press("#q", "Enter")
    page.wait_for_selector(".clip")
    page.screenshot(path=str(SHOTS / "search-results.png"), full_page=True)
    first = page.locator(".clip").first
    start, end = float(first.get_attribute("data-start")), float(first.get_attribute("data-end"))
    assert start <= mb.SPOKEN_AT + 1 <= end + 1
    assert first.locator(".why mark").count() >= 1          # the matched words are highlighted
    first.locator("button.play").click()
    video = first.locator("video.player")
    page.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0", arg=video.element_handle(), timeout=20000)
    now = video.evaluate("v => v.currentTime")
    assert start - 0.5 <= now <= end + 0.5, (now, start, end)
    page.screenshot(path=str(SHOTS / "player.png"))


def test_upload_a_face_photo_and_see_that_persons_clips(page, server, media):
    page.goto(server + "/")
    page.set_input_files("#photo", str(media("obama2.jpg")))   # choosing a file submits the form
    page.wait_for_selector(".clip")
    page.screenshot(path=str(SHOTS / "face-results.png"), full_page=True)
    obama = [(a, b) for a, b, who in mb.cast_spans() if who == "Obama"]
    clips = page.locator(".clip")
    assert clips.count() == len(obama)
    for i in range(clips.count()):
        c = clips.nth(i)
        mid = (float(c.get_attribute("data-start")) + float(c.get_attribute("data-end"))) / 2
        assert any(a <= mid < b for a, b in obama)


def test_movie_page_shows_timeline_and_cast(page, server):
    page.goto(server + "/movie/summit")
    page.wait_for_selector(".timeline img")
    assert page.locator(".timeline .shot").count() >= 10
    page.wait_for_function("() => [...document.querySelectorAll('.cast img')].every(i => i.naturalWidth > 0)")
    page.screenshot(path=str(SHOTS / "movie-page.png"), full_page=True)
    page.click("text=Biden")
    page.wait_for_selector(".clip")
    assert "cast=Biden" in page.url


def test_more_like_this_from_the_timeline_finds_the_same_clip_in_the_other_film(page, server):
    """The story film's city shot, from its timeline: the cast film's city shot comes first."""
    a, _ = next((a, b) for src, a, b, _ in mb.story_spans() if src == "cityCC0.mpg")
    page.goto(server + "/movie/story")
    starts = [float(x) for x in page.locator(".timeline .shot").evaluate_all("els => els.map(e => e.dataset.start)")]
    index = max(i for i, s in enumerate(starts) if s <= a + 0.5)
    shot = page.locator(".timeline .shot").nth(index)
    shot.locator("a.more").click()
    page.wait_for_selector(".like")
    assert f"/similar/story/{index}" in page.url
    page.screenshot(path=str(SHOTS / "more-like-this.png"), full_page=True)
    first = page.locator(".clip").first
    assert first.locator(".title").inner_text() == "Summit"
    start = 3.0 + 2.5 * 3                     # the city clip's place in the cast film (CAST_SHOTS)
    mid = (float(first.get_attribute("data-start")) + float(first.get_attribute("data-end"))) / 2
    assert start <= mid < start + 3.0, mid
    first.locator("a.more").click()          # and on from a result
    page.wait_for_selector(".like")
    assert "/similar/summit/" in page.url


# -- the demo's sample library: home, relevance fold, movie page, keyboard, accessibility ------------
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def sample_page(browser):
    """A page of its own: the sample library is one (embedded) library, whatever backend the other
    tests of this module run on."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def sample_server(sample_library):
    yield from _serving(sample_library)


def _films(page) -> list[str]:
    return page.locator(".film b").all_inner_texts()


def test_the_home_shows_the_library_with_facets_and_pages(sample_page, sample_server):
    page = sample_page
    page.goto(sample_server + "/?per=3&sort=title")
    first = _films(page)
    assert len(first) == 3
    assert page.locator(".facets h2").first.text_content() == "Genres"
    page.wait_for_function("() => [...document.querySelectorAll('.facets .people img, .film img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(SHOTS / "home.png"), full_page=True)
    page.click("a[rel=next]")
    second = _films(page)
    assert second and not set(first) & set(second)
    assert "page 2 of 3" in page.locator(".pager").inner_text()
    page.click(".facets a:text-is('Drama')")               # a genre of Summit's movie.nfo
    assert _films(page) == ["Summit"]
    page.click(".facets .people a >> nth=0")                # a cast portrait
    assert "person=" in page.url and _films(page) == ["Summit"]


def test_one_good_match_shows_and_the_weaker_ones_fold(sample_page, sample_server):
    page = sample_page
    page.goto(sample_server + "/?q=a+golden+key+hidden+under+the+stairs")
    shown = page.locator(".clip:visible")
    assert shown.count() == 1 and shown.first.locator(".title").inner_text() == "Harbour"
    fold = page.locator("details.weaker")
    assert fold.count() == 1 and not fold.evaluate("d => d.open")
    page.screenshot(path=str(SHOTS / "weaker-fold-closed.png"), full_page=True)
    fold.locator("summary").click()
    assert page.locator(".clip:visible").count() > 1
    page.screenshot(path=str(SHOTS / "weaker-fold-open.png"), full_page=True)
    page.goto(sample_server + "/?q=an+underwater+volcano+erupting")
    assert page.locator(".no-strong").is_visible() and page.locator(".clip:visible").count() == 0


@pytest.mark.parametrize("query,expect", [
    ("cast=The+President", "Summit"),                       # a role of Summit's movie.nfo, found by face
    ("tags=cycling", "Bikes"),                               # a tag of Bikes (2005).nfo
    ("q=we+will+sail+to+the+island", "Harbour"),             # Harbour's embedded mov_text subtitles
])
def test_the_sample_library_answers_cast_tag_and_subtitle_searches_on_the_page(sample_page, sample_server, query,
                                                                               expect):
    page = sample_page
    page.goto(sample_server + "/?" + query)
    first = page.locator(".clip:visible").first
    assert first.locator(".title").inner_text() == expect
    page.goto(sample_server + "/movie/harbour-2011")          # and the scenes, each with its first keyframe
    assert page.locator(".scenes .scene img").count() == 3


def _current_time(page) -> float:
    return float(page.locator("#player").evaluate("v => v.currentTime"))


def test_a_transcript_line_seeks_the_player_and_is_highlighted(sample_page, sample_server):
    page = sample_page
    page.goto(sample_server + "/movie/harbour-2011")
    line = page.locator("#lines button.line", has_text="sail to the island")
    cue = float(line.get_attribute("data-start"))
    page.evaluate("() => { const v = document.getElementById('player'); window.seekedAt = null;"
                  " v.addEventListener('seeked', () => { window.seekedAt = v.currentTime; }, {once: true}); }")
    line.click()
    page.wait_for_function("() => window.seekedAt !== null", timeout=20000)
    assert abs(page.evaluate("window.seekedAt") - cue) <= 0.5, (page.evaluate("window.seekedAt"), cue)
    page.wait_for_selector("#lines button.line.now")
    assert "sail to the island" in page.locator("#lines button.now").inner_text()
    page.screenshot(path=str(SHOTS / "movie-transcript.png"), full_page=True)


def test_a_timecode_link_opens_the_player_there(sample_page, sample_server):
    page = sample_page
    page.goto(sample_server + "/movie/harbour-2011?t=16.5")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=20000)
    assert abs(_current_time(page) - 16.5) <= 0.5
    assert page.locator("#player").get_attribute("poster")            # a poster frame, not a black box
    page.goto(sample_server + "/movie/harbour-2011?q=golden+key")      # search inside the film: hits marked
    assert page.locator(".strip .hit-mark").count() >= 1 and page.locator(".timeline .shot.hit").count() >= 1
    page.screenshot(path=str(SHOTS / "movie-hits.png"), full_page=True)


def test_hovering_a_card_previews_its_keyframes(sample_page, sample_server):
    page = sample_page
    page.goto(sample_server + "/?q=people+riding+bicycles")
    card = page.locator(".clip[data-frames]:visible").first
    assert len(card.get_attribute("data-frames").split()) >= 2
    img = card.locator(".frame img")
    before = img.get_attribute("src")
    card.locator(".frame").hover()
    page.wait_for_function("([i, s]) => i.getAttribute('src') !== s", arg=[img.element_handle(), before], timeout=3000)
    page.screenshot(path=str(SHOTS / "hover-preview.png"))
    page.mouse.move(0, 0)
    page.wait_for_function("([i, s]) => i.getAttribute('src') === s", arg=[img.element_handle(), before], timeout=3000)


def test_keyboard_only_from_slash_to_playing_a_result(sample_page, sample_server):
    page = sample_page
    page.goto(sample_server + "/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("a golden key hidden under the stairs")
    page.keyboard.press("Enter")
    page.wait_for_selector(".clip")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.classList.contains('clip')")
    page.keyboard.press("Enter")
    video = page.locator(".clip video.player").first
    page.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0", arg=video.element_handle(), timeout=20000)
    page.screenshot(path=str(SHOTS / "keyboard-play.png"))


@pytest.mark.parametrize("path", ["/", "/?q=a+golden+key+hidden+under+the+stairs", "/movie/summit-2009",
                                  "/movie/harbour-2011?q=golden+key"])
def test_no_serious_accessibility_violations(sample_page, sample_server, path):
    """axe-core (Deque's engine, as shipped in axe-playwright-python) run inside the page."""
    import axe_playwright_python

    page = sample_page
    source = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
    page.goto(sample_server + path)
    page.evaluate(source)        # evaluated through the DevTools protocol, so the page's CSP allows it
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
           if v["impact"] in SERIOUS]
    assert not bad, bad
