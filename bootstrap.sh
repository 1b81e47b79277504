#!/usr/bin/env bash
# Set up the course from nothing, then run one job.
#
#   bash bootstrap.sh demo    # main job: build releases, grade sample submissions, feedback, score table
#   bash bootstrap.sh test    # the test suite (what CI runs)
#   bash bootstrap.sh setup   # only install
#
# Installs (idempotent, a few seconds when already done):
#   - Debian's dataset-fashion-mnist (real Fashion-MNIST, offline) where apt-get is available;
#   - uv, then a virtual environment .venv from the lock file requirements.lock, with bytecode
#     compiled (TensorFlow imports 3x faster), and this repository installed editable (`dls`).
set -euo pipefail
cd "$(dirname "$0")"
job="${1:-demo}"
shift || true

log() { printf '\n==> %s\n' "$*"; }

if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null 2>&1; then
  log "apt-get install dataset-fashion-mnist (real Fashion-MNIST for offline use)"
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist; } >/tmp/dls-apt.log 2>&1; then
    echo "warning: could not install dataset-fashion-mnist (see /tmp/dls-apt.log); Fashion-MNIST will be downloaded by keras.datasets when online" >&2
  fi
fi

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
# uv as a module of that Python: works whether pip put it in site-packages, the user site or a venv.
if ! "$PYTHON" -m uv --version >/dev/null 2>&1; then
  log "pip install uv"
  "$PYTHON" -m pip install -q uv 2>/dev/null || "$PYTHON" -m pip install -q --user uv 2>/dev/null \
    || "$PYTHON" -m pip install -q --user --break-system-packages uv
fi
UV=("$PYTHON" -m uv)

if [ ! -x .venv/bin/python ]; then
  log "virtual environment .venv ($("$PYTHON" --version))"
  "${UV[@]}" venv -q .venv --python "$PYTHON"
fi
log "install the locked stack (requirements.lock) and this course (editable)"
"${UV[@]}" pip sync -q --python .venv/bin/python --compile-bytecode requirements.lock
"${UV[@]}" pip install -q --python .venv/bin/python --no-deps --compile-bytecode -e .
export PATH="$PWD/.venv/bin:$PATH"   # nbgrader shells out to alembic and jupyter

case "$job" in
  setup) echo "ready: source .venv/bin/activate" ;;
  demo)  log "dls demo"; exec dls demo "$@" ;;
  test)  log "pytest"; exec python -m pytest -n "${DLS_TEST_WORKERS:-2}" --dist loadgroup "$@" ;;
  *) echo "usage: bash bootstrap.sh [demo|test|setup] [args...]" >&2; exit 2 ;;
esac
