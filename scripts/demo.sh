#!/usr/bin/env bash
# `make demo`: exhume's main job end to end on a bundled example, the TF1 research code in
# fixtures/tf1-contrib (tf.contrib.slim, tf.Session, scipy.misc.imread, an unpinned requirements.txt).
#
# The fixture is copied to a scratch folder (the demo never writes into the repository), then
# `exhume build` locks it, writes the Dockerfile, builds the image and smoke-tests it with the network off.
# Where the machine allows (root, Docker installable from the apt sources) it uses a Docker Engine of its own
# and a local stand-in base image; elsewhere it validates in a local virtual environment (--engine venv).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
work="$(mktemp -d "${TMPDIR:-/tmp}/exhume-demo.XXXXXX")"
cp -r fixtures/tf1-contrib "$work/tf1-contrib"
repo="$work/tf1-contrib"
# The example has no git history; the date its code would have been written at is given instead.
as_of=2018-03-15

engine=venv
base_args=()
if host="$(scripts/engine.sh up 2>/dev/null)" && [[ -n "$host" ]]; then
    export DOCKER_HOST="$host"
    python="$($BIN/exhume lock "$repo" --as-of "$as_of" --format json | $BIN/python -c 'import json,sys; print(json.load(sys.stdin)["inference"]["python"]["version"])')"
    # No registry can be reached here: a local stand-in for python:X.Y-slim is built for the inferred Python.
    if $BIN/python scripts/base_image.py "$python" >/dev/null; then
        engine=docker
        base_args=(--base-image "exhume-local/python:{python}-slim")
    fi
fi
echo "demo: building $repo with the $engine engine" >&2
status=0
$BIN/exhume build "$repo" --as-of "$as_of" --engine "$engine" "${base_args[@]}" --force -q || status=$?
echo
echo "files written in $repo:"
ls -1 "$repo" | sed 's/^/  /'
echo "requirements.in:"
sed 's/^/  /' "$repo/requirements.in"
exit "$status"
