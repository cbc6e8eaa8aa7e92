"""The web page in a real browser: Debian's chromium driven by Playwright against a real server on 127.0.0.1.

Opens the story list, opens a story, checks the timeline and that aligned passages are highlighted with the
same colour on both sides, pastes two texts on the compare page; screenshots go to test-artifacts/.
In CI (the env var CI set) the test must run: `make browser` installs chromium there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import ROOT, LiveServer, article_json, example_articles

from samestory.api import create_app

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
TOKEN = "web-test-token"

pytestmark = pytest.mark.xdist_group("web")

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        f"{CHROMIUM} is missing (Debian: apt-get install -y chromium, or `make browser`); in CI this test must run",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with two stories: the Sheffield fire (English + French copies) and the Porto metro strike."""
    db = tmp_path_factory.mktemp("web") / "web.db"
    with LiveServer(create_app(db, token=TOKEN)) as live:
        with live.client(TOKEN) as client:
            for article in example_articles("sheffield-recycling-fire", "porto-greve-metro"):
                response = client.post("/articles", json=article_json(article))
                assert response.status_code == 201, response.text
        yield live


@pytest.fixture(scope="module")
def page(site: LiveServer) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        outside: list[str] = []
        tab.on(
            "request",
            lambda request: None if request.url.startswith(site.url) else outside.append(request.url),
        )
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        yield tab
        browser.close()
        assert not outside, f"the page loaded from elsewhere: {outside}"
        assert not errors, f"script errors: {errors}"


def test_story_list_then_a_story_with_aligned_passages(site: LiveServer, page: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{site.url}/web")
    items = page.locator("li.story-item")
    assert items.count() == 2
    headlines = items.locator("a.headline").all_inner_texts()
    assert any("Sheffield" in h for h in headlines)
    page.screenshot(path=str(ARTIFACTS / "web-stories.png"), full_page=True)

    page.fill("input[name=q]", "sheffield")
    page.click("form.search button")
    page.wait_for_url("**/web?q=sheffield*")
    assert page.locator("li.story-item").count() == 1

    page.click("li.story-item a.headline")
    page.wait_for_url("**/web/stories/*")
    # The timeline: one dot per article, the original marked.
    assert page.locator("svg#timeline circle.dot").count() == 5
    assert page.locator("svg#timeline circle.dot.original").count() == 1
    assert page.locator("svg#timeline text.row-label").count() == 5  # five outlets
    # Copies side by side, aligned passages highlighted in the same colour on both sides.
    first = page.locator("section.article.copy").first
    marks = first.locator("mark.aligned")
    assert marks.count() >= 4
    pair = marks.first.get_attribute("data-pair")
    left = first.locator(f".side.left mark.aligned[data-pair='{pair}']")
    right = first.locator(f".side.right mark.aligned[data-pair='{pair}']")
    assert left.count() == 1 and right.count() == 1
    colour = left.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == right.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    assert left.is_visible() and right.is_visible()
    # The translation is shown against the original too.
    assert page.locator("section.copy[data-relation=translation] mark.aligned").count() >= 2
    # What was added or dropped is visible.
    assert page.locator("ins.added, del.dropped").count() >= 1
    right.hover()
    assert "hot" in (left.get_attribute("class") or "")
    page.screenshot(path=str(ARTIFACTS / "web-story.png"), full_page=True)
    page.locator("figure.timeline").screenshot(path=str(ARTIFACTS / "web-story-timeline.png"))
    first.screenshot(path=str(ARTIFACTS / "web-story-copy.png"))


def test_compare_page(site: LiveServer, page: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{site.url}/web/compare")
    page.fill(
        "textarea[name=a]",
        (
            "A large fire broke out at a recycling plant in Sheffield on Friday night. "
            "Around 400 homes were evacuated as thick smoke spread over the Attercliffe area. "
            "South Yorkshire Fire and Rescue said twelve engines were sent to the scene."
        ),
    )
    page.fill(
        "textarea[name=b]",
        (
            "Un important incendie s'est déclaré vendredi soir dans une usine de recyclage à Sheffield. "
            "Environ 400 logements ont été évacués alors qu'une épaisse fumée recouvrait le quartier d'Attercliffe. "
            "Les habitants devaient garder leurs fenêtres fermées jusqu'à samedi matin."
        ),
    )
    page.click("form.compare button")
    page.wait_for_selector("section.result")
    assert "the same story" in page.inner_text("section.result h2")
    assert page.locator("section.result .side.left mark.aligned").count() >= 2
    assert page.locator("section.result .side.right mark.aligned").count() >= 2
    assert page.locator("section.result ins.added").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "web-compare.png"), full_page=True)
