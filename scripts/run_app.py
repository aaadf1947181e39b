"""Run Latent Lab: ``streamlit run app.py`` with the library already imported when the first
person opens the page.

Streamlit imports what a page needs only when a browser first opens it, so on a fresh server
the first visitor waits for torch, plotly and the app's own modules (seconds on a small
machine). Here a background thread imports them while the server starts; the first page then
only runs. Every argument goes to ``streamlit run`` (``--server.port 8502``...).

    .venv/bin/python scripts/run_app.py [STREAMLIT OPTIONS]
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the router and the first page import, heaviest first; then every Streamlit helper.
FIRST_PAGE = ("torch", "plotly.graph_objects", "PIL.Image", "ae_core.checkpoints.library", "ae_core.train.queue")


def warm_up() -> None:
    """Import the first page's modules now (errors are left for the page to show)."""
    import ui

    names = [*FIRST_PAGE, *(f"ui.{m.name}" for m in pkgutil.iter_modules(ui.__path__))]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the page that needs it reports the problem properly
            pass


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    threading.Thread(target=warm_up, name="latent-lab-warm-up", daemon=True).start()
    from streamlit.web import cli

    return cli.main(["run", str(ROOT / "app.py"), *argv], prog_name="streamlit", standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
