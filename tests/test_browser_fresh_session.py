"""A fresh browser session, as 30 students open it at once: the model picker keeps its model,
and no request leaves the server's own address (issue 17)."""

from urllib.parse import urlparse

import pytest

from ae_core.checkpoints.library import DEFAULT_MODEL, list_models
from scripts.streamlit_server import PAGES
from tests.test_browser import app_url, browser, server  # noqa: F401  (the shared server and Chromium)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def picker_value(page) -> str:
    return page.locator("[data-testid=stSidebar] [data-testid=stSelectbox] input").input_value()


def test_the_model_picker_keeps_its_model_when_a_page_is_clicked_at_once(app_url, browser):  # noqa: F811
    expected = next(e.label for e in list_models() if e.name == DEFAULT_MODEL)
    titles = [title for _, title in PAGES[1:]]
    seen = []
    for session in range(20):
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(app_url)
        page.get_by_role("heading", name="Overview").wait_for(timeout=60_000)
        title = titles[session % len(titles)]
        page.get_by_role("link", name=title, exact=True).click()
        page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # the run the click started has finished drawing the sidebar
        seen.append(picker_value(page))
        context.close()
    assert seen == [expected] * 20, [v for v in seen if v != expected]


def test_no_request_leaves_the_servers_address_on_any_page(app_url, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    outside = []

    def note(request):
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and urlparse(request.url).hostname != "127.0.0.1":
            outside.append(request.url)

    context.on("request", note)
    page = context.new_page()
    for path, heading in PAGES:
        page.goto(f"{app_url}/{path}")
        page.get_by_role("heading", name=heading).first.wait_for(timeout=90_000)
        page.wait_for_timeout(2500)
    context.close()
    assert outside == []
