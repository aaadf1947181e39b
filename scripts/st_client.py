"""A light Streamlit client: one browser session spoken at the protocol level, no browser.

It does what Streamlit's frontend does for a page view: open the websocket
``/_stcore/stream`` (the XSRF token in the sub-protocol header, cookies as a browser sends
them, so a sticky proxy routes it like a browser), send a ``BackMsg.rerun_script`` with the
page and the widget states, read ``ForwardMsg``s until the script has finished, and fetch the
media (pictures) the page refers to, as a browser does before a person sees them. Uploads go
through ``/_stcore/upload_file`` the way ``st.file_uploader`` does. The message classes are
the ones shipped inside the installed ``streamlit`` package (``streamlit.proto``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import requests
from requests.adapters import HTTPAdapter
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from urllib3.util import Retry
from websockets.asyncio.client import connect

HTTP = ThreadPoolExecutor(max_workers=64)
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


@dataclass
class View:
    """One page view as a person sees it: the script's output and its pictures arrived."""

    page: str
    action: str
    seconds: float
    errors: list[str] = field(default_factory=list)
    media: int = 0


class SessionDropped(RuntimeError):
    """The server closed the session, or did not finish a page within the time limit."""


class Session:
    """One simulated browser tab. Use ``async with Session(url) as s: await s.view("")``."""

    def __init__(self, base_url: str, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        # A browser sends a request again, once, when a kept-alive connection turns out to have
        # been closed by the server before answering; so does this client.
        self.http.mount("http://", HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, allowed_methods=None)))
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.widgets: dict[str, tuple[str, object]] = {}  # user key -> (widget id, element proto)
        self.states: dict[str, WidgetState] = {}  # widget id -> the value this tab holds
        self.charts: list[object] = []  # plotly chart protos of the last run
        self.session_id = ""
        self.media: list[str] = []  # picture URLs of the last page view
        self.page = ""
        self.page_hash = ""  # the page the server last ran (it may switch pages itself)
        self.fragments: dict[str, float] = {}  # fragments that rerun on their own: id -> seconds

    async def __aenter__(self) -> Session:
        await self._get("/_stcore/health")  # sets the XSRF cookie (and a sticky proxy's cookie)
        xsrf = self.http.cookies.get("_streamlit_xsrf", "")
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        ws_url = "ws" + self.base_url[len("http") :] + "/_stcore/stream"
        self.ws = await connect(
            ws_url,
            subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],
            additional_headers={"Cookie": cookies} if cookies else None,
            max_size=None,
            open_timeout=self.timeout,
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()
        self.http.close()

    async def _get(self, path: str) -> bytes:
        response = await asyncio.get_running_loop().run_in_executor(
            HTTP, lambda: self.http.get(self.base_url + path, timeout=self.timeout)
        )
        response.raise_for_status()
        return response.content

    async def view(self, page: str, action: str = "open", query: str = "", keep: tuple[str, ...] = ()) -> View:
        """Open ``page`` (its URL path; "" is the default page) with the widget states held.

        ``keep``: user keys of widgets (the sidebar's) whose values go along to a new page."""
        if page != self.page:
            # A new page starts from its widgets' defaults, as in a browser; the sidebar stays.
            kept = {self.widgets[k][0] for k in keep if k in self.widgets}
            self.states = {i: state for i, state in self.states.items() if i in kept}
            self.page = page
        message = BackMsg()
        rerun = message.rerun_script
        rerun.page_name = page
        rerun.page_script_hash = self.pages.get(page, "")
        rerun.query_string = query
        rerun.widget_states.widgets.extend(self.states.values())
        start = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        errors, media, _ = await self._read_run()
        self.media = media
        if media:
            await asyncio.gather(*(self._get(url) for url in media))
        return View(page, action, time.perf_counter() - start, errors, len(media))

    async def rerun_fragment(self, fragment_id: str) -> bool:
        """What the frontend does every ``run_every`` seconds: rerun one fragment. Returns True
        when the fragment made the whole app run again (and that run's pictures arrived)."""
        message = BackMsg()
        rerun = message.rerun_script
        rerun.page_name = self.page
        rerun.page_script_hash = self.page_hash or self.pages.get(self.page, "")
        rerun.fragment_id = fragment_id
        rerun.is_auto_rerun = True
        rerun.widget_states.widgets.extend(self.states.values())
        await self.ws.send(message.SerializeToString())
        errors, media, full = await self._read_run(fragment=True)
        if full:
            self.media = media
            await asyncio.gather(*(self._get(url) for url in media))
        return full

    async def set_widget(self, key: str, **value) -> bool:
        """Hold a new value for the widget with user key ``key`` (e.g. ``double_value=3``)."""
        if key not in self.widgets:
            return False
        widget_id = self.widgets[key][0]
        state = WidgetState(id=widget_id, **value)
        self.states[widget_id] = state
        return True

    def element(self, key: str):
        return self.widgets[key][1] if key in self.widgets else None

    async def upload(self, key: str, name: str, data: bytes, mime: str) -> bool:
        """Upload a file into the ``st.file_uploader`` with user key ``key``, as the frontend does."""
        if key not in self.widgets:
            return False
        request = BackMsg()
        request.file_urls_request.request_id = uuid.uuid4().hex
        request.file_urls_request.file_names.append(name)
        request.file_urls_request.session_id = self.session_id
        await self.ws.send(request.SerializeToString())
        urls = None
        while urls is None:
            message = await self._receive()
            if message.WhichOneof("type") == "file_urls_response":
                urls = message.file_urls_response.file_urls[0]
        xsrf = self.http.cookies.get("_streamlit_xsrf", "")
        upload_url = urls.upload_url if urls.upload_url.startswith("http") else self.base_url + urls.upload_url
        response = await asyncio.get_running_loop().run_in_executor(
            HTTP,
            lambda: self.http.put(
                upload_url, files={"file": (name, data, mime)}, headers={"X-Xsrftoken": xsrf}, timeout=self.timeout
            ),
        )
        response.raise_for_status()
        state = WidgetState(id=self.widgets[key][0])
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.file_id, info.name, info.size = urls.file_id, name, len(data)
        info.file_urls.CopyFrom(urls)
        self.states[state.id] = state
        return True

    async def _receive(self) -> ForwardMsg:
        try:
            raw = await asyncio.wait_for(self.ws.recv(), self.timeout)
        except TimeoutError as exc:
            raise SessionDropped(f"no answer within {self.timeout:.0f} s") from exc
        except Exception as exc:  # the websocket closed
            raise SessionDropped(str(exc)) from exc
        message = ForwardMsg()
        message.ParseFromString(raw)
        return message

    async def _read_run(self, fragment: bool = False) -> tuple[list[str], list[str], bool]:
        """Messages until the script finished: its errors, its pictures, and whether the whole
        app ran (with ``fragment``, a fragment's run also ends the reading)."""
        errors: list[str] = []
        media: list[str] = []
        self.charts = []
        while True:
            message = await self._receive()
            kind = message.WhichOneof("type")
            if kind == "new_session":  # at the start of every run, a fragment's too
                self.session_id = message.new_session.initialize.session_id or self.session_id
                self.page_hash = message.new_session.page_script_hash or self.page_hash
                self._learn_pages(message.new_session.app_pages)
                self.page = next((name for name, h in self.pages.items() if h == self.page_hash), self.page)
            elif kind == "navigation":
                self._learn_pages(message.navigation.app_pages)
            elif kind == "page_not_found":
                errors.append(f"page not found: {message.page_not_found.page_name!r}")
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._read_element(message.delta.new_element, errors, media)
            elif kind == "auto_rerun":
                self.fragments[message.auto_rerun.fragment_id] = message.auto_rerun.interval
            elif kind == "stop_auto_rerun":
                for fragment_id in message.stop_auto_rerun.fragment_ids:
                    self.fragments.pop(fragment_id, None)
            elif kind == "script_finished":
                if message.script_finished in FINISHED:
                    return errors, media, True
                if fragment and message.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    return errors, media, False

    def _learn_pages(self, app_pages) -> None:
        for page in app_pages:
            self.pages[page.url_pathname] = page.page_script_hash

    def _read_element(self, element, errors: list[str], media: list[str]) -> None:
        kind = element.WhichOneof("type")
        if kind is None:
            return
        proto = getattr(element, kind)
        if kind == "exception":
            errors.append(f"exception: {proto.type}: {proto.message}")
        elif kind == "alert" and proto.format == Alert.ERROR:
            errors.append(f"error: {proto.body}")
        elif kind == "imgs":
            media.extend(img.url for img in proto.imgs if img.url.startswith("/"))
        elif kind == "plotly_chart":
            self.charts.append(proto)
        widget_id = getattr(proto, "id", "")
        if isinstance(widget_id, str) and widget_id.startswith("$$ID-"):
            key = widget_id.rsplit("-", 1)[-1]
            self.widgets[key] = (widget_id, proto)


def first_point(chart) -> dict | None:
    """The selection event Plotly's frontend sends for a click on the first point of the
    chart's second trace (the first one is the latent map's invisible decode grid)."""
    spec = json.loads(chart.spec)
    traces = spec.get("data", [])
    if len(traces) < 2:
        return None
    trace = traces[1]

    def first(value):
        if isinstance(value, dict) and "bdata" in value:  # plotly's typed-array encoding
            return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(-1)[0].item()
        item = value[0] if isinstance(value, list) else value
        return item[0] if isinstance(item, list) and len(item) == 1 else item

    point = {"curve_number": 1, "point_number": 0, "point_index": 0, "x": first(trace["x"]), "y": first(trace["y"])}
    if "customdata" in trace:
        point["customdata"] = first(trace["customdata"])
    return {"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}}
