"""Drawings made once per server and replayed (ui/drawn.py): a second session sees the same
view, in its own language, and a changed setting is drawn anew."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def overview(**state) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in state.items():
        app.session_state[key] = value
    return app.run()


def errors_line(app: AppTest) -> list[str]:
    return [c.value for c in app.caption if c.value.startswith(("Errors:", "Errores:"))]


def test_a_second_session_sees_the_replayed_view_in_its_own_language():
    first = overview(overview_seed=11)
    second = overview(overview_seed=11)  # the same view: replayed
    spanish = overview(overview_seed=11, language="es")
    other = overview(overview_seed=12)
    for app in (first, second, spanish, other):
        assert not app.exception
    assert errors_line(first) and errors_line(first) == errors_line(second)
    assert len(second.get("imgs")) == len(first.get("imgs"))
    assert "Inputs (top) and reconstructions (bottom)" in [h.value for h in first.subheader]
    assert "Entradas (arriba) y reconstrucciones (abajo)" in [h.value for h in spanish.subheader]
    assert errors_line(other) != errors_line(first)
