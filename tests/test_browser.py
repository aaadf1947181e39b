"""Real-browser tests: Playwright drives Debian's Chromium against `streamlit run` on 127.0.0.1."""

import base64
import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ae_core.checkpoints import read_config
from ae_core.checkpoints.library import DEFAULT_MODEL, PRETRAINED_DIR
from ae_core.data import load_dataset
from ae_core.data.images import image_grid
from scripts.streamlit_server import PAGES, launch_chromium, start_streamlit

CHROMIUM = os.environ.get("LATENT_LAB_CHROMIUM", "/usr/bin/chromium")
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc, url = start_streamlit(str(tmp_path_factory.mktemp("home")))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; scripts/test.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = launch_chromium(p)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def app_url(server, browser):
    return server


def test_a_link_straight_to_a_page_opens_it_on_a_fresh_server(server, browser):
    """The first visitor of a fresh server arrives on a shared link to a page (not the root): the
    page opens, with no "Page not found" dialog over it (scripts/run_app.py runs the app once at
    start, so Streamlit knows its pages)."""
    page = open_page(browser, f"{server}/latent_map")
    page.get_by_text("Nothing selected yet").wait_for(timeout=90_000)
    page.wait_for_timeout(1500)
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_role("heading", name="Latent map").count() == 1
    page.close()


SYNCED = "f => f.dataset.source === 'decoded' && f.dataset.positions === f.dataset.shown"


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    return page


def main_text(page) -> str:
    return page.evaluate("() => document.querySelector('[data-testid=stMain]').innerText")


def wait_for_map(page):
    page.get_by_text("Nothing selected yet").wait_for(timeout=90_000)
    # Streamlit switches the chart to click-to-select once it is live.
    page.wait_for_function(
        "() => { const gd = document.querySelector('.js-plotly-plot'); return gd && gd._fullLayout && gd._fullLayout.dragmode === 'pan'; }",
        timeout=30_000,
    )


def screen_position(page, trace_name, index):
    """Where point ``index`` of the named plotly trace is drawn, in page pixels."""
    return page.evaluate(
        """([name, i]) => {
          const gd = document.querySelector('.js-plotly-plot');
          const trace = gd._fullData.find(t => t.name === name);
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
          return [box.left + xa._offset + xa.l2p(trace.x[i]), box.top + ya._offset + ya.l2p(trace.y[i])];
        }""",
        [trace_name, index],
    )


def click(page, x, y):
    page.mouse.move(x - 4, y - 4)
    page.mouse.move(x, y, steps=4)
    page.mouse.click(x, y)


IDLE = "() => !document.querySelector('[data-testid=stStatusWidget]')"


def click_point(page, trace_name, index, shows: str, tries: int = 3):
    """Click a map point once the app is idle and the point has stopped moving, until ``shows``
    appears. A click that lands while the chart is still being laid out is lost (seen on a
    loaded CI machine), so it is tried again; the failure message says what the page showed."""
    for _ in range(tries):
        page.wait_for_function(IDLE, timeout=60_000)
        position = screen_position(page, trace_name, index)
        page.wait_for_timeout(300)
        while (now := screen_position(page, trace_name, index)) != position:
            position = now
            page.wait_for_timeout(300)
        click(page, *position)
        try:
            page.get_by_text(shows).first.wait_for(timeout=15_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError; try the click again
            page.wait_for_function(IDLE, timeout=60_000)
            if page.get_by_text(shows).count():
                return
    raise AssertionError(f"clicking {trace_name!r}[{index}] never showed {shows!r}: {main_text(page)[-800:]}")


def test_every_page_opens_without_an_error(app_url, browser):
    for path, heading in PAGES:
        page = open_page(browser, f"{app_url}/{path}")
        page.get_by_role("heading", name=heading).first.wait_for(timeout=90_000)
        page.wait_for_timeout(1500)
        assert page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count() == 0, main_text(
            page
        )[-500:]
        page.close()


def test_map_click_shows_the_sample_and_empty_space_decodes(app_url, browser, tmp_path):
    page = open_page(browser, f"{app_url}/latent_map")
    wait_for_map(page)
    click_point(page, "7", 0, shows="1 selected sample")
    page.get_by_text("Reconstruction error").wait_for(timeout=30_000)
    assert "Traceback" not in main_text(page)
    # The grid's first point is the bottom-left corner of the map: empty space.
    click_point(page, "decode here", 0, shows="Exact: PCA positions map back")
    assert "Decoded at" in main_text(page)
    page.screenshot(path=str(tmp_path / "map.png"))


# Every canvas draw in the page, with the source rectangle and the canvas afterwards.
RECORD_DRAWS = """
window.__draws = [];
const drawImage = CanvasRenderingContext2D.prototype.drawImage;
CanvasRenderingContext2D.prototype.drawImage = function (image, sx, sy, ...rest) {
  drawImage.call(this, image, sx, sy, ...rest);
  window.__draws.push({ sx, sy, pixels: this.canvas.toDataURL() });
};
"""


def test_traversal_slider_redraws_the_decoders_exact_output_while_dragging(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(RECORD_DRAWS)
    page.goto(f"{app_url}/generate")
    page.get_by_role("tab", name="Traverse").click()
    figure = page.locator("figure.live-traversal")
    figure.wait_for(timeout=60_000)

    def move_to_the_end(slider: int) -> list[dict]:
        """Press End on a slider; the draws until the server's next sheet and picture are in."""
        page.wait_for_function(SYNCED, arg=figure.element_handle(), timeout=30_000)
        page.evaluate("window.__draws = []")
        page.get_by_role("slider", name="dimension").nth(slider).focus()
        page.keyboard.press("End")
        page.wait_for_function(
            f"f => JSON.parse(f.dataset.positions || '[]')[{slider}] === 40", arg=figure.element_handle()
        )
        page.wait_for_function(SYNCED, arg=figure.element_handle(), timeout=30_000)
        return page.evaluate("window.__draws")

    before = page.evaluate("window.__draws.at(-1).pixels")
    for slider in (0, 1):
        draws = move_to_the_end(slider)
        # The first picture comes from the sheet (column 40, this slider's row) before the server
        # has heard of the move, and the server's decode of the new code is that very picture.
        tile = draws[0]["sx"] // 40
        assert tile > 0 and draws[0]["sy"] == slider * tile
        assert (draws[-1]["sx"], draws[-1]["sy"]) == (0, 0)
        assert draws[-1]["pixels"] == draws[0]["pixels"] != before
        before = draws[-1]["pixels"]
    assert "updating" not in figure.get_attribute("class")
    assert "Traceback" not in main_text(page)


def test_app_opens_on_the_default_model_and_shows_reconstructions(app_url, browser, tmp_path):
    page = open_page(browser, app_url)
    page.get_by_text("Inputs (top) and reconstructions (bottom)").wait_for(timeout=60_000)
    image = page.locator("[data-testid=stMain] [data-testid='stImage'] img").first
    image.wait_for(timeout=30_000)
    assert image.evaluate("img => img.naturalWidth") > 100
    first_errors = page.get_by_text("Errors:").inner_text()
    page.get_by_label("Sample seed", exact=True).fill("5")
    page.get_by_label("Sample seed", exact=True).press("Enter")
    page.wait_for_function(f"() => !document.body.innerText.includes({first_errors!r})", timeout=30_000)
    assert "Traceback" not in page.content()
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)


def test_uploading_an_image_places_it_on_the_map_and_a_bad_file_gets_a_message(app_url, browser, tmp_path):
    import numpy as np
    from PIL import Image

    picture = tmp_path / "digit.png"
    Image.fromarray((np.eye(32)[::-1] * 255).astype(np.uint8)).convert("RGB").save(picture)
    (tmp_path / "fake.png").write_bytes(b"this is not a picture")
    page = open_page(browser, f"{app_url}/latent_map")
    wait_for_map(page)
    page.get_by_text("Place your own image on the map").click()
    page.locator("input[type=file]").set_input_files(str(picture))
    page.get_by_text("Your input and its reconstruction").wait_for(timeout=60_000)
    assert "resized from 32x32 to 28x28" in main_text(page)  # the default model: 28x28 digits
    assert page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.some(t => t.name === 'your input')")
    page.locator("input[type=file]").set_input_files(str(tmp_path / "fake.png"))
    page.get_by_text("fake.png: not an image").wait_for(timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0


def test_train_from_the_page_watch_the_curve_stop_and_find_the_model(app_url, browser, tmp_path):
    page = open_page(browser, f"{app_url}/train")
    page.get_by_role("heading", name="Train").first.wait_for(timeout=60_000)
    page.get_by_role("spinbutton", name="Epochs").fill("300")
    page.get_by_role("spinbutton", name="Epochs").press("Enter")
    page.get_by_role("textbox", name="Save as").fill("browser-trained")
    page.get_by_role("textbox", name="Save as").press("Enter")
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="Train", exact=False).first.click()
    # The loss chart appears once the first epoch is done and gains points as epochs pass.
    page.get_by_text("Test samples (top)").wait_for(timeout=90_000)
    points = "() => { const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g._fullData && g._fullData[0] && g._fullData[0].name === 'train'); return gd ? gd._fullData[0].x.length : 0; }"
    first = page.evaluate(points)
    page.wait_for_function(f"() => ({points})() > {first}", timeout=60_000)
    page.screenshot(path=str(tmp_path / "training.png"))
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("Stopped by you").wait_for(timeout=60_000)
    assert "best epoch" in main_text(page)
    page.get_by_role("combobox", name="Model", exact=True).click()
    page.keyboard.type("browser-trained")  # the list is long (and virtualised): filter it as a person would
    page.get_by_role("option", name="browser-trained", exact=False).first.wait_for(timeout=10_000)
    page.keyboard.press("Escape")
    page.screenshot(path=str(tmp_path / "trained.png"))
    page.close()


def test_moving_the_anomaly_threshold_changes_the_flagged_count(app_url, browser, tmp_path):
    page = open_page(browser, f"{app_url}/anomaly")
    page.get_by_role("heading", name="Anomaly studio").first.wait_for(timeout=60_000)
    flagged = page.locator("[data-testid=stMetric]").filter(has_text="Flagged").locator("[data-testid=stMetricValue]")
    flagged.wait_for(timeout=60_000)
    page.get_by_role("combobox", name="Threshold rule").click()
    page.get_by_role("option", name="By hand", exact=False).click()
    slider = page.get_by_role("slider", name="Threshold (score)")
    slider.wait_for(timeout=30_000)
    before = flagged.inner_text()
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_function(
        "(old) => { const m = [...document.querySelectorAll('[data-testid=stMetric]')].find(e => e.innerText.includes('Flagged')); return m && !m.innerText.includes(old); }",
        arg=before,
        timeout=30_000,
    )
    after = flagged.inner_text()
    assert int(after.split(" of ")[0].replace(",", "")) > int(before.split(" of ")[0].replace(",", ""))
    page.screenshot(path=str(tmp_path / "anomaly.png"), full_page=True)
    page.close()


def test_recommender_page_opens_trained_and_recommends_in_the_browser(app_url, browser, tmp_path):
    page = open_page(browser, f"{app_url}/recommender")
    page.get_by_role("heading", name="Recommender").first.wait_for(timeout=60_000)
    # No button to press: the first visit queues the training; the page shows it when the worker is done.
    page.get_by_text("Test RMSE (lower is better)").wait_for(timeout=300_000)
    page.get_by_text("Top 10 recommendations").wait_for(timeout=30_000)
    metric = (
        page.locator("[data-testid=stMetric]").filter(has_text="autoencoder").locator("[data-testid=stMetricValue]")
    )
    baseline = (
        page.locator("[data-testid=stMetric]").filter(has_text="item mean").locator("[data-testid=stMetricValue]")
    )
    assert float(metric.inner_text()) < float(baseline.inner_text())
    page.screenshot(path=str(tmp_path / "recommender.png"))
    page.close()


def test_drawing_a_digit_places_it_on_the_map(app_url, browser, tmp_path):
    page = open_page(browser, f"{app_url}/latent_map")
    wait_for_map(page)
    page.get_by_text("Place your own image on the map").click()
    page.get_by_role("tab", name="Draw").click()
    canvas = page.locator("canvas").filter(has=page.locator("xpath=self::canvas[@width='280']")).first
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    # A "1": one vertical stroke.
    page.mouse.move(box["x"] + 140, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(box["x"] + 140, box["y"] + 40 + step * 10)
    page.mouse.up()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some(g => g._fullData && g._fullData.some(t => t.name === 'your input'))",
        timeout=60_000,
    )
    page.screenshot(path=str(tmp_path / "drawn.png"))
    page.close()


def test_photo_upload_is_denoised_and_downloaded_and_a_broken_file_gets_a_message(app_url, browser, tmp_path):
    import numpy as np

    from ae_core.apps.denoising import noisy_copy
    from ae_core.data.images import encode_png, read_image

    yy, xx = np.mgrid[0:120, 0:160] / 160
    clean = (0.3 + 0.4 * xx + 0.2 * (yy > 0.4))[..., None].astype(np.float32)
    (tmp_path / "noisy.png").write_bytes(encode_png(np.clip(noisy_copy(clean, 25 / 255), 0, 1)))
    (tmp_path / "broken.png").write_bytes(b"this is not a picture")
    page = open_page(browser, f"{app_url}/photo")
    page.get_by_role("heading", name="Photo denoiser").first.wait_for(timeout=60_000)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(tmp_path / "noisy.png"))
    button = page.get_by_role("button", name="Download the denoised photo (PNG)")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stMain]').innerText.includes('noisy.png')", timeout=30_000
    )
    button.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    with page.expect_download(timeout=60_000) as download:
        button.click()
    saved = tmp_path / "denoised.png"
    download.value.save_as(saved)
    result = read_image(saved)
    assert result.shape == (120, 160, 1)
    assert np.abs(result - clean).mean() < np.abs(read_image(tmp_path / "noisy.png") - clean).mean() / 2
    wipe = page.locator(".wipe")
    box = wipe.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()
    assert float(wipe.get_attribute("data-position")) == pytest.approx(0.8, abs=0.02)  # the line follows the hand
    page.screenshot(path=str(tmp_path / "photo.png"))
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(tmp_path / "broken.png"))
    page.get_by_text("broken.png: not an image").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_hovering_a_point_shows_its_picture(app_url, browser, tmp_path):
    page = open_page(browser, f"{app_url}/latent_map")
    wait_for_map(page)
    page.wait_for_function(
        "() => { const g = document.querySelector('.js-plotly-plot'); return g && g.__latentLabHover; }", timeout=30_000
    )
    # Which sample plotly reports under the mouse (its customdata is the sample's row in the split).
    page.evaluate(
        """() => document.querySelector('.js-plotly-plot').on('plotly_hover', (event) => {
             const point = event.points.find((p) => p.customdata !== undefined);
             if (point) window.__hoveredSample = Number(point.customdata);
           })"""
    )
    x, y = screen_position(page, "0", 0)
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=5)
    page.wait_for_function(
        "() => { const t = document.querySelector('.latent-lab-hover'); return t && t.style.display === 'block'; }",
        timeout=15_000,
    )
    shown = page.evaluate(
        """() => { const t = document.querySelector('.latent-lab-hover');
             return { image: t.style.backgroundImage, position: t.style.backgroundPosition,
                      size: t.style.backgroundSize, side: parseFloat(t.style.width), sample: window.__hoveredSample }; }"""
    )
    assert shown["image"].startswith('url("data:image/png;base64,')
    page.screenshot(path=str(tmp_path / "hover.png"))
    page.close()
    # The tile the tooltip shows, cut from its sprite sheet, is that sample's picture.
    sprite = np.asarray(Image.open(io.BytesIO(base64.b64decode(shown["image"].split(",", 1)[1].rstrip('")')))))
    column, row = (round(-float(v.removesuffix("px")) / shown["side"]) for v in shown["position"].split())
    tile = sprite.shape[1] // round(float(shown["size"].split()[0].removesuffix("px")) / shown["side"])
    spec = read_config(PRETRAINED_DIR / DEFAULT_MODEL)["dataset"]
    sample = load_dataset(spec).split("test")[0][shown["sample"]]
    expected = image_grid(sample[None], columns=1, pad=0, min_side=1)
    cut = sprite[row * tile : (row + 1) * tile, column * tile : (column + 1) * tile]
    where = {k: v for k, v in shown.items() if k != "image"}
    assert cut.shape == expected.shape and np.abs(cut.astype(int) - expected).max() <= 1, (where, row, column)
