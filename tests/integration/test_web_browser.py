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


@pytest.fixture(scope="module")
def server(web_library):
    from werkzeug.serving import make_server

    from cinesearch.web.app import create_app

    srv = make_server("127.0.0.1", 0, create_app({"LIBRARY": str(web_library)}), threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (deploy/setup.sh installs it with CINESEARCH_SETUP_TESTS=1)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


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
