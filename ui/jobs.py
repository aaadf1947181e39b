"""The live view of a background training run, and the table of everyone's runs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import streamlit as st

from ae_core.train.queue import Job, TrainingQueue
from ui.i18n import N_, _
from ui.plots import loss_curves, map_animation, scatter_2d
from ui.state import choose_model, session_owner
from ui.widgets import show_samples

STATES = {
    "queued": N_("queued"),
    "running": N_("running"),
    "finished": N_("finished"),
    "stopped": N_("stopped"),
    "failed": N_("failed"),
}


def training_view(
    queue: TrainingQueue,
    job: Job | None,
    owner: str,
    next_page: tuple[str, str] | None = None,
) -> None:
    """This session's latest run (or this browser's active one) and the table of every run, live
    while any run is active: progress every second, the heavier charts every few seconds (on a
    2-core machine a browser redrawing plotly every second takes CPU from the training)."""
    next_page = next_page or ("pages/explore/latent_map.py", _("Explore this model"))
    jobs = queue.jobs()
    if job is None:  # e.g. this browser came back on another server process: its run is still in the queue
        job = next((j for j in reversed(jobs) if j.owner == owner and j.active), None)
    busy = any(j.active for j in jobs)

    @st.fragment(run_every=2.0 if busy else None)
    def status() -> None:
        if job is not None:
            _status(queue, job, next_page)
        if busy and not any(j.active for j in queue.jobs()):
            st.rerun()  # the whole app: the sidebar's model picker lists the new model

    @st.fragment(run_every=5.0 if busy else None)
    def charts() -> None:
        if job is not None:
            _charts(job)
        queue_table(queue, owner)

    status()
    charts()


def _status(queue: TrainingQueue, job: Job, next_page: tuple[str, str]) -> None:
    st.subheader(_("Training “{name}”", name=job.name))
    live_status(queue, job)
    if job.state not in ("finished", "stopped"):
        return
    if job.summary is None:  # stopped while it waited
        st.info(_("Stopped before it started."), icon=":material/stop:")
    else:
        test = (job.summary or {}).get("test", {})
        done = (
            N_("Stopped by you after {epochs} epochs in {time}; best epoch {best} kept. Test error {error} per sample.")
            if job.state == "stopped"
            else N_("Finished after {epochs} epochs in {time}; best epoch {best} kept. Test error {error} per sample.")
        )
        st.success(
            _(
                done,
                epochs=job.summary["epochs_run"],
                time=_duration(job.summary["seconds"]),
                best=job.summary["best_epoch"],
                error=f"{test.get('sse_per_sample', float('nan')):.3f}",
            ),
            icon=":material/check_circle:",
        )
        if st.button(next_page[1], on_click=choose_model, args=(job.name,), key=f"explore_{job.id}", type="primary"):
            st.switch_page(next_page[0])


def live_status(queue: TrainingQueue, job: Job, stop: bool = True, stop_help: str | None = None) -> None:
    """A run's place in the queue while it waits, its progress while it trains, its one line if
    it failed, and (with ``stop``) the Stop button while it is queued or running (``stop_help``:
    what Stop keeps, when that is not a model's best epoch)."""
    if job.state == "queued":
        st.info(
            _("Waiting for the machine: place {place} in the queue.", place=queue.place(job)),
            icon=":material/hourglass_top:",
        )
    elif job.state == "running":
        b = job.batch
        if b:
            text = _(
                "epoch {epoch}/{epochs} · batch {batch}/{batches} · loss {loss} · about {left} left",
                epoch=b["epoch"],
                epochs=job.request.epochs,
                batch=b["batch"],
                batches=b["batches"],
                loss=f"{b['loss']:.4f}",
                left=_duration(b["eta"]),
            )
        else:
            text = _("starting…")
        st.progress(job.progress, text=text)
    elif job.state == "failed":
        st.error(_("Training failed: {error}", error=job.error))
    if job.active and stop:
        st.button(
            _("Stop"),
            icon=":material/stop:",
            on_click=queue.stop,
            args=(job,),
            key=f"stop_{job.id}",
            help=stop_help or _("Ends after the current batch and keeps the best epoch so far."),
        )


def wait_for_run(queue: TrainingQueue, request, out: Path, *, key: str, start: str, start_now: bool) -> None:
    """Until a run of another kind than a model's (a recommender's) has saved ``out``: queue it
    (at once with ``start_now``, else on the button ``start``; one run for everyone who asks), show
    its place, live progress and, to whoever queued it, Stop, then the table of runs; the page
    stops here and runs again when the run ends. ``key`` keeps this session's run."""
    owner = session_owner()
    job = queue.get(st.session_state.get(key, -1))
    job = job if job is not None and job.out == out else None
    if (job is None and start_now) or ((job is None or not job.active) and st.button(start, type="primary")):
        try:
            job = queue.submit(request.name, request, owner=owner, out=out)
        except ValueError as exc:
            st.error(_("Not started: {error}", error=exc))
            st.stop()
    if job is None:
        st.stop()
    st.session_state[key] = job.id
    st.caption(_("It trains in the background, on the server's training queue; the results show here when it is done."))
    busy = job.active

    @st.fragment(run_every=2.0 if busy else None)
    def progress() -> None:
        live_status(queue, job, stop=job.owner == owner, stop_help=_("Ends after the current batch; nothing is kept."))
        if job.state == "stopped":
            st.info(_("Stopped before its last epoch: nothing was kept."), icon=":material/stop:")
        if busy and not job.active:
            st.rerun()  # the whole page, which now finds what the run saved

    @st.fragment(run_every=5.0 if busy else None)
    def table() -> None:
        queue_table(queue, owner)

    progress()
    table()
    st.stop()


def _charts(job: Job) -> None:
    if not job.history:
        return
    curves, pictures = st.columns(2)
    with curves:
        st.plotly_chart(loss_curves(job.history), key=f"curves_{job.id}")
    with pictures:
        if job.preview is not None and np.asarray(job.preview).ndim == 5:
            preview = np.asarray(job.preview)
            show_samples(
                np.concatenate([preview[0], preview[1]]),
                columns=len(preview[0]),
                caption=_(
                    "Test samples (top) and their reconstructions after epoch {epoch}", epoch=job.history[-1]["epoch"]
                ),
            )
        if job.maps and job.active:  # only the latest snapshot while training: cheap to redraw
            latest = job.maps[-1]
            figure = scatter_2d(
                latest["points"], latest["labels"], title=_("Codes after epoch {epoch}", epoch=latest["epoch"])
            )
            st.plotly_chart(figure, key=f"map_{job.id}")
        elif job.maps:
            st.plotly_chart(map_animation(job.maps), key=f"replay_{job.id}")
            st.caption(
                _("The codes of 600 test samples (2-D PCA), every few epochs; press replay to watch them organise.")
            )


def queue_table(queue: TrainingQueue, owner: str) -> None:
    jobs = queue.jobs()
    if not jobs:
        return
    st.subheader(_("All trainings on this server"))
    st.caption(_("{count} at a time for the whole server; the others wait their turn.", count=queue.max_running))
    st.dataframe(
        [
            {
                "model": j.name,
                "by": _("you") if j.owner == owner else _("someone else"),
                "state": _("queued (place {place})", place=queue.place(j))
                if j.state == "queued"
                else _(STATES.get(j.state, j.state)),
                "progress": round(100 * j.progress),
                "started": time.strftime("%H:%M:%S", time.localtime(j.started)) if j.started else "",
            }
            for j in reversed(jobs)
        ],
        column_config={
            "model": _("model"),
            "by": _("by"),
            "state": _("state"),
            "progress": st.column_config.ProgressColumn(_("progress"), min_value=0, max_value=100, format="%d%%"),
            "started": _("started"),
        },
        hide_index=True,
    )


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return (
        _("{minutes} min {seconds} s", minutes=seconds // 60, seconds=seconds % 60) if seconds >= 60 else f"{seconds} s"
    )
