#!/usr/bin/env bash
# The GPU work of a session that is lent one (15 minutes of device time in all): one call that
# measures the trainer on the GPU and trains the two shipped models that need it, writing what
# comes back under OUT.
#
#   scripts/gpu_session.sh DATA OUT [DENOISER_MINUTES]
#
# DATA holds mnist_train.npz and train400/ (copies of ../shared/data in an ignored folder of the
# checkout, carried to the device); OUT receives at most 8 files, 2 folders down:
#   throughput.txt                 bench/trainer_throughput.py, deep and conv at batch 1024, float32 and bfloat16
#   mnist-conv/{config.json,weights.safetensors}        scripts/train_pretrained.py's recipe
#   photo-denoiser/{config.json,weights.safetensors}    scripts/train_denoiser.py, then --ship
#   log.txt                        everything printed
# Copy the two model folders into pretrained/ here if their held-out scores beat the shipped ones.
# DEVICE=cpu and MNIST=0 run the same steps on a CPU (the dry run made before spending device time).
set -uo pipefail
DATA=${1:?usage: scripts/gpu_session.sh DATA OUT [DENOISER_MINUTES]}
OUT=${2:?usage: scripts/gpu_session.sh DATA OUT [DENOISER_MINUTES]}
MINUTES=${3:-6}
DEVICE=${DEVICE:-cuda}
PYTHON=${PYTHON:-python3}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
export PYTHONPATH=. PYTHONUNBUFFERED=1
exec > >(tee -a "$OUT/log.txt") 2>&1

"$PYTHON" - <<'EOF' || exit 2
import importlib.util, sys
import torch
missing = [m for m in ("numpy", "scipy", "sklearn", "skimage", "PIL", "safetensors", "tqdm") if importlib.util.find_spec(m) is None]
print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "no cuda",
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
if missing:
    sys.exit(f"missing Python packages: {missing} (carry them as wheels)")
EOF

echo "== trainer throughput ($DEVICE)"
for model in deep conv; do
  for precision in float32 bfloat16; do
    "$PYTHON" bench/trainer_throughput.py --device "$DEVICE" --model "$model" --batch-size 1024 --epochs 3 \
      --samples "${SAMPLES:-60000}" --precision "$precision" |
      tee -a "$OUT/throughput.txt"
  done
done

if [ "${MNIST:-1}" != 0 ]; then
  echo "== mnist-conv (scripts/train_pretrained.py's recipe)"
  "$PYTHON" scripts/train_pretrained.py --only mnist-conv --mnist "$DATA/mnist_train.npz" --out "$OUT"
fi

echo "== photo denoiser: $MINUTES minutes on $DEVICE, from the shipped weights"
RUN=$(mktemp -d)
"$PYTHON" scripts/train_denoiser.py --train400 "$DATA/train400" --out "$RUN" --minutes "$MINUTES" \
  --device "$DEVICE" --batch-size "${BATCH:-128}" --patches "${PATCHES:-200000}" --camera-pool "${POOL:-60000}" &&
  "$PYTHON" scripts/train_denoiser.py --train400 "$DATA/train400" --out "$RUN" --resume --minutes 0 \
    --ship "$OUT/photo-denoiser"
echo "== done"
