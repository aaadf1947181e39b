"""Present and follow the teacher: only the code's holder presents, followers get the teacher's
page and values, may leave and rejoin, and keep the last view with a note when it ends."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import access
from ui.classroom_store import SQLiteStore
from ui.join import JOIN_KEY

ROOT = Path(__file__).resolve().parents[1]
CODE = "profe-2026"
SIDEBAR_SHOWS = """text => { const bar = document.querySelector('[data-testid=stSidebar]');
  return bar.innerText.includes(text) || [...bar.querySelectorAll('input')].some(i => i.value.includes(text)); }"""


@pytest.fixture(autouse=True)
def teacher_code(monkeypatch):
    monkeypatch.setenv("LATENT_LAB_TEACHER_CODE", CODE)
    access._guards.clear()  # wrong codes of other tests do not slow this one


def browser(page: str | None = None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if page:
        app.switch_page(page)
    return app.run()


def teacher() -> AppTest:
    app = browser()
    app.text_input(key="teacher_code_input").set_value(CODE).run()
    app.toggle(key="present").set_value(True).run()
    assert not app.exception
    return app


def follower() -> AppTest:
    app = browser()
    app.toggle(key="follow_teacher").set_value(True).run()
    return app


def sidebar_text(app: AppTest) -> str:
    return " ".join(c.value for c in app.sidebar.caption)


def test_only_the_code_opens_present_and_wrong_codes_are_slowed():
    app = browser()
    assert not [t for t in app.sidebar.toggle if t.key == "present"]
    app.text_input(key="teacher_code_input").set_value("guess").run()
    assert [e.value for e in app.error] == ["That is not the teacher code."]
    assert not [t for t in app.sidebar.toggle if t.key == "present"]
    for guess in ("guess2", "guess3"):
        app.text_input(key="teacher_code_input").set_value(guess).run()
    app.text_input(key="teacher_code_input").set_value(CODE).run()  # even the right code waits now
    assert len(app.error) == 1 and app.error[0].value.startswith("Too many wrong codes: try again in")
    assert not [t for t in app.sidebar.toggle if t.key == "present"]


def test_a_follower_gets_the_teachers_page_and_model_and_may_leave(latent_lab_home):
    presenter, student = teacher(), follower()
    assert "Following the teacher." in sidebar_text(student)
    presenter.switch_page("pages/explore/latent_map.py").run()
    presenter.selectbox(key="model_name").set_value("digits-conv").run()
    presenter.selectbox(key="map_method").set_value("tsne").run()
    student.run()  # what the half-second poll does
    assert not student.exception and student.title[0].value == "Latent map"
    assert student.selectbox(key="model_name").value == "digits-conv"
    assert student.selectbox(key="map_method").value == "tsne"

    student.selectbox(key="map_method").set_value("pca").run()  # exploring while following
    assert student.selectbox(key="map_method").value == "pca"
    student.toggle(key="follow_teacher").set_value(False).run()
    presenter.switch_page("pages/explore/generate.py").run()
    student.run()
    assert student.title[0].value == "Latent map"  # left: stays where it was
    student.toggle(key="follow_teacher").set_value(True).run()  # rejoins: the teacher's view at once
    assert student.title[0].value == "Generate" and student.selectbox(key="model_name").value == "digits-conv"


def test_a_follower_keeps_the_last_view_when_the_teacher_stops():
    presenter, student = teacher(), follower()
    presenter.selectbox(key="model_name").set_value("digits-vae").run()
    student.run()
    presenter.toggle(key="present").set_value(False).run()
    student.run()
    assert student.selectbox(key="model_name").value == "digits-vae"
    assert "The teacher stopped presenting: you keep the last view." in sidebar_text(student)


def test_a_stale_view_opens_with_a_note(latent_lab_home):
    student = follower()
    SQLiteStore(latent_lab_home / "classroom.sqlite").publish("latent_map", {"model": "deleted-model", "points": "7"})
    student.run()
    assert not student.exception and student.title[0].value == "Latent map"
    assert len(student.info) >= 1 and "there is no model named 'deleted-model'" in student.info[0].value
    assert student.selectbox(key="model_name").value != "deleted-model"


def test_a_damaged_view_is_a_note_not_a_traceback(latent_lab_home):
    store = SQLiteStore(latent_lab_home / "classroom.sqlite")
    store.publish("", {"model": "digits-conv"})
    store._db.execute("UPDATE class_view SET params = '{broken'")
    student = follower()
    assert not student.exception and "The teacher's view cannot be read" in sidebar_text(student)


def test_a_student_cannot_publish(latent_lab_home):
    student = browser()
    student.session_state["present"] = True  # as a forged widget state would
    student.switch_page("pages/explore/generate.py").run()
    assert SQLiteStore(latent_lab_home / "classroom.sqlite").read() is None


def test_the_join_box_shows_a_qr_code_of_the_view_with_the_language():
    app = browser("pages/explore/latent_map.py")
    assert not app.sidebar.code  # drawn once the box is opened: the first page loads no code viewer
    app.session_state[JOIN_KEY] = True  # as opening the box does
    app.run()
    address = next(c.value for c in app.sidebar.code)
    assert address.startswith("http") and "lang=en" in address and "follow=1" in address
    assert "/latent_map?" in address
    assert any(image.proto.imgs[0].url.startswith("data:image/svg+xml") for image in app.sidebar.get("image"))


@pytest.mark.slow
@pytest.mark.browser
def test_in_chromium_the_follower_goes_where_the_teacher_goes(tmp_path, monkeypatch):
    """Two browsers (separate cookies) on one server: the teacher presents and changes the
    page and the model; the follower's page and model picker follow within seconds."""
    from playwright.sync_api import sync_playwright

    from scripts.streamlit_server import open_app, start_streamlit

    monkeypatch.setenv("LATENT_LAB_UMAP_WARMUP", "0")
    server, url = start_streamlit(str(tmp_path / "home"), timeout=120)
    try:
        with sync_playwright() as playwright:
            chromium, presenter = open_app(playwright, url)
            student = chromium.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            student.goto(url)
            student.get_by_role("heading", name="Overview").wait_for(timeout=120_000)

            presenter.get_by_text("Teacher", exact=True).click()
            presenter.get_by_label("Teacher code").fill(CODE)
            presenter.get_by_label("Teacher code").press("Enter")
            presenter.get_by_text("Present", exact=True).click()
            student.get_by_text("Follow the teacher", exact=True).click()
            student.get_by_text("Following the teacher.").wait_for(timeout=30_000)

            presenter.get_by_role("link", name="Latent map").click()
            presenter.get_by_role("heading", name="Latent map").wait_for(timeout=60_000)
            student.get_by_role("heading", name="Latent map").wait_for(timeout=60_000)
            presenter.get_by_role("combobox", name="Model", exact=True).click()
            presenter.keyboard.type("digits-conv")
            presenter.get_by_role("option", name="digits-conv", exact=False).first.click()
            student.wait_for_function(SIDEBAR_SHOWS, arg="digits-conv (", timeout=60_000)
            assert "latent_map" in student.url
            presenter.get_by_text("Join this class").click()
            presenter.get_by_text("follow=1").first.wait_for(timeout=10_000)
            sidebar = presenter.locator("[data-testid=stSidebarContent]")
            sidebar.evaluate("e => e.scrollTo(0, e.scrollHeight)")
            sidebar.screenshot(path=str(tmp_path / "teacher-sidebar.png"))
            presenter.get_by_role("button", name="Show it large").click()
            presenter.get_by_role("dialog").wait_for(timeout=10_000)
            presenter.screenshot(path=str(tmp_path / "qr-large.png"))
            chromium.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_server_without_a_code_makes_one_up_and_prints_it_once(monkeypatch, capsys):
    monkeypatch.delenv("LATENT_LAB_TEACHER_CODE")
    monkeypatch.setattr(access, "_made_up", [])
    code = access.teacher_code()
    assert len(code) == 10 and access.teacher_code() == code
    assert capsys.readouterr().err.count(code) == 1
