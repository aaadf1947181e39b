"""Hover previews for the latent map: the sample's picture follows the mouse over a point.

Plotly cannot put images in its hover labels, so this small v2 component (not sandboxed: it
sees the page) listens to the map's own hover events and shows the hovered sample's tile from
one sprite sheet of all the map's images, sent once with the map.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.widgets import sprite_url

_JS = """
export default function (component) {
  const { data } = component;
  const tip = document.createElement("div");
  tip.className = "latent-lab-hover";
  Object.assign(tip.style, {
    position: "fixed", display: "none", pointerEvents: "none", zIndex: 100000,
    width: data.size + "px", height: data.size + "px", border: "2px solid white",
    boxShadow: "0 2px 10px rgba(0,0,0,.45)", imageRendering: "pixelated",
    backgroundImage: `url(${data.sprite})`, backgroundRepeat: "no-repeat",
    backgroundSize: `${data.columns * data.size}px auto`,
  });
  document.body.appendChild(tip);
  const position = new Map(data.rows.map((row, i) => [row, i]));
  let mouse = { clientX: 0, clientY: 0 };
  const track = (e) => { mouse = e; };
  document.addEventListener("mousemove", track);
  const show = (event) => {
    const point = event.points.find((p) => p.customdata !== undefined && position.has(Number(p.customdata)));
    if (!point) { tip.style.display = "none"; return; }
    const i = position.get(Number(point.customdata));
    tip.style.backgroundPosition = `-${(i % data.columns) * data.size}px -${Math.floor(i / data.columns) * data.size}px`;
    // Left of the pointer: plotly's own label sits to its right.
    tip.style.left = Math.max(0, mouse.clientX - data.size - 20) + "px";
    tip.style.top = Math.max(0, mouse.clientY - data.size / 2) + "px";
    tip.style.display = "block";
  };
  const attach = () => {
    document.querySelectorAll(".js-plotly-plot").forEach((plot) => {
      if (plot.__latentLabHover || !plot.on || !plot.data) return;
      if (!plot.layout || plot.layout.meta !== data.marker) return;
      plot.__latentLabHover = true;
      plot.on("plotly_hover", show);
      plot.on("plotly_unhover", () => { tip.style.display = "none"; });
    });
  };
  attach();
  const timer = setInterval(attach, 400);
  return () => { clearInterval(timer); document.removeEventListener("mousemove", track); tip.remove(); };
}
"""

_HOVER = st.components.v2.component("latent_lab_hover_preview", js=_JS)


def hover_previews(images: np.ndarray, rows: np.ndarray, marker: str, key: str, size: int = 96) -> None:
    """Show ``images[i]`` when the mouse is over the map point whose customdata is ``rows[i]``.

    ``marker`` is the target chart's ``layout.meta``, to find it on the page.
    """
    columns = int(np.ceil(np.sqrt(len(images))))
    _HOVER(
        key=key,
        data={
            "sprite": sprite_url(images, columns),
            "columns": columns,
            "size": size,
            "rows": [int(r) for r in rows],
            "marker": marker,
        },
    )
