"""Links that open the same view: the query string is parsed, checked, applied and kept up to date."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.link_state import LinkState, link_params, parse_link, within

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"digits-conv", "digits-vae"}  # for the parser alone


def test_a_link_round_trips_through_the_query_string():
    state = LinkState(
        model="digits-vae",
        projection="umap",
        dims=3,
        split="train",
        points=500,
        sample=4,
        ends=(1, 9),
        rule="sigma",
        value=2.5,
    )
    parsed, problems = parse_link(link_params(state), MODELS)
    assert parsed == state and problems == []


def test_bad_values_are_dropped_each_with_a_reason():
    params = {"model": "gone", "map": "evil", "dims": "4", "sample": "-1", "from": "3", "value": "nan", "utm": "x"}
    state, problems = parse_link(params, MODELS)
    assert state == LinkState()
    assert len(problems) == 6 and "there is no model named 'gone'" in problems[0]


def test_sample_numbers_beyond_the_data_are_dropped():
    link = LinkState(split="train", points=9000, sample=5, start=50, ends=(1, 60))
    state, problems = within(link, train_size=1000, test_size=40)
    assert state == LinkState(split="train", points=1000, sample=5)
    assert len(problems) == 2 and "start=50" in problems[0]


def test_all_points_of_a_map_survive_a_link():
    """A map of all 359 test points (the slider's end, off its 100-step grid) stays 359, not 300."""
    assert within(LinkState(points=359), train_size=1000, test_size=359)[0].points == 359
    assert within(LinkState(points=9000), train_size=1000, test_size=359)[0].points == 359
    assert within(LinkState(points=250), train_size=1000, test_size=359)[0].points == 200


def _app(query: dict[str, str], page: str | None = None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in query.items():
        app.query_params[key] = value
    if page:
        app.switch_page(page)
    return app.run()


def test_a_shared_link_opens_the_model_and_the_projection():
    app = _app({"model": "digits-deep", "map": "pca", "dims": "3"}, "pages/explore/latent_map.py")
    assert not app.exception
    assert app.sidebar.selectbox[0].value == "digits-deep"
    assert app.selectbox(key="map_method").value == "pca"
    assert app.session_state["map_dims"] == 3
    app.selectbox(key="map_split").set_value("train").run()
    assert app.query_params["split"] == "train" and app.query_params["model"] == "digits-deep"


def test_a_bad_link_opens_the_page_with_a_one_line_note():
    app = _app({"model": "nobody-trained-this", "from": "0", "to": "999999"}, "pages/explore/generate.py")
    assert not app.exception and not app.error
    assert app.title[0].value == "Generate"
    notes = [i.value for i in app.info if "link could not be opened" in i.value]
    assert len(notes) == 1 and "nobody-trained-this" in notes[0] and "999999" in notes[0]


def test_a_link_with_a_sample_shows_that_sample_on_the_latent_map():
    app = _app({"model": "digits-conv", "sample": "7"}, "pages/explore/latent_map.py")
    assert not app.exception
    assert any(h.value == "1 selected sample" for h in app.subheader)
    assert app.query_params["sample"] == "7"
