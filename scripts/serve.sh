#!/usr/bin/env bash
# The classroom server: one Streamlit process per core behind HAProxy, on one port.
#
#   scripts/serve.sh PORT [WORKERS]        (WORKERS defaults to the number of cores)
#
# HAProxy (Debian's package, installed here if missing) keeps each browser on one Streamlit
# process by a cookie it sets on the first response — not by client IP, since a class behind a
# school's NAT is one address — so a tab's websocket, its pictures (/media) and its uploads
# (/_stcore/upload_file) reach the process that holds its session, as Streamlit requires.
# Workers listen on 127.0.0.1:PORT+1 … PORT+WORKERS (their readiness agents on the next WORKERS
# ports), and get a tab only once they have run the app once. A worker (or HAProxy) that dies is started
# again within a second; its students' tabs reconnect. Ctrl-C or SIGTERM stops everything.
# One training-queue consumer serves all workers (python -m ae_core.train.consumer: the queue's
# runs, one at a time below 8 cores, LATENT_LAB_MAX_TRAININGS to change), restarted if it dies;
# a student sees and stops every run whichever worker their browser reaches.
# LATENT_LAB_ADDRESS (default 0.0.0.0) is the address HAProxy listens on.
# For one person, `python scripts/run_app.py` (the README's run command) stays the way to run Latent Lab.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${1:?usage: scripts/serve.sh PORT [WORKERS]}
WORKERS=${2:-$(nproc)}
ADDRESS=${LATENT_LAB_ADDRESS:-0.0.0.0}
PYTHON=${PYTHON:-.venv/bin/python}

if ! command -v haproxy >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >/dev/null
fi

RUN_DIR=$(mktemp -d -t latent-lab-serve.XXXXXX)
CONFIG="$RUN_DIR/haproxy.cfg"
cat >"$CONFIG" <<EOF
global
    maxconn 4096

defaults
    mode http
    option redispatch
    retries 3
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    # A worker busy with a page for a few seconds is not down: only repeated failures count.
    timeout check 10s

frontend classroom
    bind $ADDRESS:$PORT
    default_backend streamlit

backend streamlit
    balance leastconn
    cookie LATENTLAB insert indirect nocache httponly attr SameSite=Lax
    option httpchk GET /_stcore/health
    http-check expect status 200
EOF
# Each worker's agent (scripts/run_app.py, on PORT+WORKERS+i) says "down" until the worker has
# run the app once: before that, a tab sent to it straight onto a page's link (a reconnect after
# a restart, the class QR code) would see "Page not found" (Streamlit learns pages on a first run).
for i in $(seq 1 "$WORKERS"); do
  echo "    server w$i 127.0.0.1:$((PORT + i)) check cookie w$i inter 2s fall 3 rise 1" \
    "agent-check agent-addr 127.0.0.1 agent-port $((PORT + WORKERS + i)) agent-inter 500ms" >>"$CONFIG"
done

haproxy -c -q -f "$CONFIG"  # a bad configuration stops here, not in a restart loop

# One teacher code for every worker (each would make up its own): the one set, or a new one.
if [ -z "${LATENT_LAB_TEACHER_CODE:-}" ]; then
  LATENT_LAB_TEACHER_CODE=$("$PYTHON" -c "from ui.code_guard import new_code; print(new_code())")
  echo "serve.sh: teacher code: $LATENT_LAB_TEACHER_CODE (set LATENT_LAB_TEACHER_CODE to choose one)" >&2
fi
export LATENT_LAB_TEACHER_CODE

# SIGTERM, then SIGKILL if it has not ended within 10 s (Streamlit can take long to stop).
stop_child() {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL "$1" 2>/dev/null || true
}

# Run a command again whenever it exits, until this script stops it.
keep_running() {
  local name=$1 child=""
  shift
  trap 'stop_child "$child"; exit 0' TERM INT
  while true; do
    "$@" &
    child=$!
    wait "$child" || true
    echo "serve.sh: $name exited; starting it again" >&2
    sleep 1
  done
}

export LATENT_LAB_QUEUE_CONSUMER=external  # the workers never start a consumer of their own
export LATENT_LAB_WARM_PAGES=1  # each worker opens every page once at start (scripts/run_app.py)
SUPERVISORS=()
WARM_UP=""
stop() {
  trap - EXIT INT TERM
  [ -n "$WARM_UP" ] && kill -TERM "$WARM_UP" 2>/dev/null || true
  [ ${#SUPERVISORS[@]} -gt 0 ] && kill -TERM "${SUPERVISORS[@]}" 2>/dev/null
  wait
  rm -rf "$RUN_DIR"
}
trap stop EXIT
trap 'exit 0' INT TERM

# UMAP's numba code is compiled (or read from numba's disk cache) once, now, in a low-priority
# process of its own: before the class arrives, not beside 30 students' pages (it holds about
# 400 MB while it runs). The workers then skip their own warm-up.
if [ "${LATENT_LAB_UMAP_WARMUP:-1}" != 0 ]; then
  nice -n 10 "$PYTHON" -c "from ae_core.explore.projection import warm_up_umap; warm_up_umap()" \
    >/dev/null 2>&1 &
  WARM_UP=$!
fi
for i in $(seq 1 "$WORKERS"); do
  LATENT_LAB_UMAP_WARMUP=0 LATENT_LAB_AGENT_PORT=$((PORT + WORKERS + i)) keep_running "worker $i" "$PYTHON" scripts/run_app.py \
    --server.headless true --server.address 127.0.0.1 --server.port $((PORT + i)) &
  SUPERVISORS+=($!)
done
keep_running haproxy haproxy -db -f "$CONFIG" &
SUPERVISORS+=($!)
# --wait: a consumer still ending (or one started by hand) holds the queue's lock; take it after.
keep_running "training queue" "$PYTHON" -m ae_core.train.consumer --wait &
SUPERVISORS+=($!)

echo "serve.sh: $WORKERS Streamlit workers and one training queue behind HAProxy on http://$ADDRESS:$PORT" >&2
wait
