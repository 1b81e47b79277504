#!/usr/bin/env bash
# Set up the course from nothing, then run one job.
#
#   bash bootstrap.sh demo    # main job: build releases, grade sample submissions, feedback, score table
#   bash bootstrap.sh test    # the test suite (what CI runs)
#   bash bootstrap.sh setup   # only install
#
# Installs (idempotent, a few seconds when already done):
#   - Debian's dataset-fashion-mnist (real Fashion-MNIST, offline), bubblewrap (the grading sandbox),
#     postgresql and chromium (grading at scale: gradebook server, report check) where apt-get is available;
#   - uv, then a virtual environment .venv from the lock file requirements.lock, with bytecode
#     compiled (TensorFlow imports 3x faster), and this repository installed editable (`dls`).
set -euo pipefail
cd "$(dirname "$0")"
job="${1:-demo}"
shift || true

log() { printf '\n==> %s\n' "$*"; }

apt_install() {  # apt_install PKG...: Debian/Ubuntu only, as root or with sudo; false elsewhere
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"; } >>/tmp/dls-apt.log 2>&1
}

# A Python the lock file fits (3.11 or 3.12); otherwise uv fetches CPython 3.11 for the venv.
supported() { "$1" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null; }
PYTHON=""
for candidate in ${PYTHON_FOR_COURSE:-} python3.11 python3.12 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && supported "$(command -v "$candidate")"; then
    PYTHON="$(command -v "$candidate")"; break
  fi
done
HOST_PY="${PYTHON:-$(command -v python3 || true)}"
if [ -z "$HOST_PY" ]; then
  log "apt-get install python3"; apt_install python3 python3-pip python3-venv || { echo "error: install Python 3.11 first" >&2; exit 1; }
  HOST_PY="$(command -v python3)"
fi
# uv as a module of the host Python: works whether pip put it in site-packages, the user site or a venv.
if ! "$HOST_PY" -m uv --version >/dev/null 2>&1; then
  log "pip install uv"
  "$HOST_PY" -m pip --version >/dev/null 2>&1 || apt_install python3-pip || true
  "$HOST_PY" -m pip install -q uv 2>/dev/null || "$HOST_PY" -m pip install -q --user uv 2>/dev/null \
    || "$HOST_PY" -m pip install -q --user --break-system-packages uv
fi
UV=("$HOST_PY" -m uv)

if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null 2>&1; then
  log "apt-get install dataset-fashion-mnist (real Fashion-MNIST for offline use)"
  apt_install dataset-fashion-mnist || echo "warning: could not install dataset-fashion-mnist (see /tmp/dls-apt.log);" \
    "Fashion-MNIST will be downloaded by keras.datasets when online" >&2
fi

if ! command -v bwrap >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  log "apt-get install bubblewrap (the sandbox of dls grade)"
  apt_install bubblewrap || echo "warning: could not install bubblewrap: dls grade needs it (see /tmp/dls-apt.log)" >&2
fi

# dls grade at scale: a PostgreSQL server for gradebooks (the tests start a throwaway one on loopback)
# and Chromium, in which the tests render `dls report`'s HTML page headless.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ] && command -v apt-get >/dev/null 2>&1; then
  log "apt-get install postgresql (gradebooks on a PostgreSQL server)"
  apt_install postgresql || echo "warning: could not install postgresql (see /tmp/dls-apt.log)" >&2
fi
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  log "apt-get install chromium (headless check of dls report's page)"
  apt_install chromium || echo "warning: could not install chromium (see /tmp/dls-apt.log)" >&2
fi

if [ ! -x .venv/bin/python ]; then
  log "virtual environment .venv (${PYTHON:-CPython 3.11 fetched by uv})"
  "${UV[@]}" venv -q .venv --python "${PYTHON:-3.11}"
fi
# what the venv was installed from: when none of it changed since, the install is skipped (9 s)
stamp="$(cat requirements.lock requirements-nodeps.txt pyproject.toml | "$HOST_PY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
if [ "$(cat .venv/.dls-installed 2>/dev/null)" != "$stamp" ]; then
  log "install the locked stack (requirements.lock) and this course (editable)"
  rm -f .venv/.dls-installed
  "${UV[@]}" pip sync -q --python .venv/bin/python --compile-bytecode requirements.lock
  "${UV[@]}" pip install -q --python .venv/bin/python --no-deps --compile-bytecode -e .
  "${UV[@]}" pip install -q --python .venv/bin/python --no-deps --compile-bytecode -r requirements-nodeps.txt
  echo "$stamp" > .venv/.dls-installed
else
  log "the locked stack and this course are installed (requirements.lock, pyproject.toml unchanged)"
fi
export PATH="$PWD/.venv/bin:$PATH"   # nbgrader shells out to alembic and jupyter

case "$job" in
  setup) echo "ready: source .venv/bin/activate" ;;
  demo)  log "dls demo"; exec dls demo "$@" ;;
  test)  log "pytest"
         # where the setup can install PostgreSQL and Chromium (apt), their tests must run, not skip
         if [ -z "${DLS_REQUIRE_SERVICES:-}" ] && command -v apt-get >/dev/null 2>&1; then export DLS_REQUIRE_SERVICES=1; fi
         exec python -m pytest -n "${DLS_TEST_WORKERS:-2}" --dist loadgroup --durations=25 "$@" ;;
  *) echo "usage: bash bootstrap.sh [demo|test|setup] [args...]" >&2; exit 2 ;;
esac
