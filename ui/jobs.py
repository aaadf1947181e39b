"""The live view of a background training run, and the table of everyone's runs."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from ae_core.jobs import Job, TrainingQueue
from ui.plots import loss_curves, map_animation, scatter_2d
from ui.state import choose_model
from ui.widgets import show_samples


def training_view(
    queue: TrainingQueue,
    job: Job | None,
    owner: str,
    next_page: tuple[str, str] = ("pages/explore/latent_map.py", "Explore this model"),
) -> None:
    """This session's latest run and the table of every run, live while any run is active:
    progress every second, the heavier charts every few seconds (on a 2-core machine a browser
    redrawing plotly every second takes CPU from the training)."""
    busy = any(j.active for j in queue.jobs())

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
    st.subheader(f"Training “{job.name}”")
    if job.state == "queued":
        st.info(f"Waiting for the machine: place {queue.place(job)} in the queue.", icon=":material/hourglass_top:")
    elif job.state == "running":
        b = job.batch
        if b:
            text = (
                f"epoch {b['epoch']}/{job.request.epochs} · batch {b['batch']}/{b['batches']} · "
                f"loss {b['loss']:.4f} · about {_duration(b['eta'])} left"
            )
        else:
            text = "starting…"
        st.progress(job.progress, text=text)
    elif job.state == "failed":
        st.error(f"Training failed: {job.error}")
    else:
        test = (job.summary or {}).get("test", {})
        how = "stopped by you" if job.state == "stopped" else "finished"
        st.success(
            f"{how.capitalize()} after {job.summary['epochs_run']} epochs in {_duration(job.summary['seconds'])}; "
            f"best epoch {job.summary['best_epoch']} kept. Test error {test.get('sse_per_sample', float('nan')):.3f} per sample.",
            icon=":material/check_circle:",
        )
        if st.button(next_page[1], on_click=choose_model, args=(job.name,), key=f"explore_{job.id}", type="primary"):
            st.switch_page(next_page[0])
    if job.active:
        st.button(
            "Stop",
            icon=":material/stop:",
            on_click=queue.stop,
            args=(job,),
            key=f"stop_{job.id}",
            help="Ends after the current batch and keeps the best epoch so far.",
        )


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
                caption=f"Test samples (top) and their reconstructions after epoch {job.history[-1]['epoch']}",
            )
        if job.maps and job.active:  # only the latest snapshot while training: cheap to redraw
            latest = job.maps[-1]
            figure = scatter_2d(latest["points"], latest["labels"], title=f"Codes after epoch {latest['epoch']}")
            st.plotly_chart(figure, key=f"map_{job.id}")
        elif job.maps:
            st.plotly_chart(map_animation(job.maps), key=f"replay_{job.id}")
            st.caption(
                "The codes of 600 test samples (2-D PCA), every few epochs; press replay to watch them organise."
            )


def queue_table(queue: TrainingQueue, owner: str) -> None:
    jobs = queue.jobs()
    if not jobs:
        return
    st.subheader("All trainings on this server")
    st.caption(f"{queue.max_running} at a time on this machine; the others wait their turn.")
    st.dataframe(
        [
            {
                "model": j.name,
                "by": "you" if j.owner == owner else "someone else",
                "state": j.state + (f" (place {queue.place(j)})" if j.state == "queued" else ""),
                "progress": round(100 * j.progress),
                "started": time.strftime("%H:%M:%S", time.localtime(j.started)) if j.started else "",
            }
            for j in reversed(jobs)
        ],
        column_config={
            "progress": st.column_config.ProgressColumn("progress", min_value=0, max_value=100, format="%d%%")
        },
        hide_index=True,
    )


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
