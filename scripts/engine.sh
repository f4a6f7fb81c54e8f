#!/usr/bin/env bash
# Start, stop or report exhume's own Docker Engine for tests, CI and the demo.
#
#   scripts/engine.sh up      install docker.io (+ debootstrap) from the machine's apt sources if dockerd is
#                             missing, start dockerd on its own socket with no default bridge and no iptables
#                             rules, wait until it answers, and print the DOCKER_HOST to use (the only line on
#                             stdout; everything else goes to stderr). Already running: prints it again; an
#                             engine the machine runs already (DOCKER_HOST or the default socket) is used as is.
#                             Not root and no engine: a message, exit 0, nothing on stdout.
#   scripts/engine.sh down    stop the dockerd this script started (found by its pid file); nothing else.
#   scripts/engine.sh status  print the DOCKER_HOST and the engine version; exit 3 when it is not running.
#   scripts/engine.sh prune-tests
#                             remove the images the tests tagged exhume-test/* and the dangling ones they left
#                             (the engine at DOCKER_HOST, else this script's); the stand-in base images stay.
#
# Typical use:  DOCKER_HOST="$(scripts/engine.sh up)" && export DOCKER_HOST
#
# The engine never gets the default bridge network (--bridge=none) and never writes iptables rules
# (--iptables=false): builds use the host network, test containers none. Its data root is the default one,
# so images survive a down/up. Settings (environment): EXHUME_DOCKER_SOCK, EXHUME_DOCKERD_PIDFILE,
# EXHUME_DOCKERD_LOG, EXHUME_ENGINE_TIMEOUT (seconds to wait for the engine to answer, default 60),
# EXHUME_DOCKERD_ARGS (more dockerd options, split on spaces: a second engine beside the first needs its own
# --data-root and --exec-root).
set -euo pipefail

SOCK="${EXHUME_DOCKER_SOCK:-/run/exhume-docker.sock}"
PIDFILE="${EXHUME_DOCKERD_PIDFILE:-/run/exhume-dockerd.pid}"
LOG="${EXHUME_DOCKERD_LOG:-/run/exhume-dockerd.log}"
LOCK="${PIDFILE%.pid}.lock"
TIMEOUT="${EXHUME_ENGINE_TIMEOUT:-60}"
read -r -a EXTRA <<<"${EXHUME_DOCKERD_ARGS:-}"
HOST="unix://${SOCK}"

say() { printf 'engine: %s\n' "$*" >&2; }

answers() {
    # `docker version` talks to the server, so it only succeeds when the engine really answers.
    command -v docker >/dev/null 2>&1 && timeout 10 docker --host "$HOST" version >/dev/null 2>&1
}

our_pid() {
    # The pid in our pid file, only if that process is alive and is a dockerd (pids get reused).
    [[ -s "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] || return 1
    printf '%s\n' "$pid"
}

install_packages() {
    local missing=()
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    ((${#missing[@]})) || return 0
    say "installing ${missing[*]} with apt-get"
    # The package's maintainer script would start a stock dockerd (default bridge, iptables rules) through
    # invoke-rc.d; a policy-rc.d that answers 101 forbids that for the length of the install.
    local policy=/usr/sbin/policy-rc.d placed=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && placed=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    } >&2 || rc=$?
    ((placed)) && rm -f "$policy"
    if ((rc)); then
        say "apt-get failed (exit $rc)"
        exit "$rc"
    fi
}

other_engine() {
    # An engine this machine already runs (DOCKER_HOST, else the default socket): starting a second dockerd
    # on the same data root would fail, and the one running serves as well.
    local host="${DOCKER_HOST:-unix:///var/run/docker.sock}"
    [[ "$host" != "$HOST" ]] && command -v docker >/dev/null 2>&1 &&
        timeout 10 docker --host "$host" version >/dev/null 2>&1 && printf '%s\n' "$host"
}

up() {
    if answers; then
        say "already running at $HOST"
        printf '%s\n' "$HOST"
        return 0
    fi
    local other
    if other="$(other_engine)"; then
        say "using the engine already running at $other"
        printf '%s\n' "$other"
        return 0
    fi
    if [[ "$(id -u)" != 0 ]]; then
        say "no engine answers at $HOST and starting one needs root; run this as root, or use --engine venv"
        return 0
    fi
    exec 9>"$LOCK"
    flock 9 # two callers at once (pytest workers, make): the second waits and then finds it running
    if answers; then
        printf '%s\n' "$HOST"
        return 0
    fi
    install_packages
    if pid="$(our_pid)"; then
        say "dockerd $pid is running but does not answer; stopping it first"
        stop_pid "$pid"
    fi
    rm -f "$SOCK"
    say "starting dockerd (log: $LOG)"
    local started=$SECONDS
    # setsid: the engine must outlive this script and the make/pytest process that called it.
    setsid dockerd --bridge=none --iptables=false --pidfile "$PIDFILE" --host "$HOST" "${EXTRA[@]}" \
        </dev/null >>"$LOG" 2>&1 9>&- &
    local child=$!
    until answers; do
        if ! kill -0 "$child" 2>/dev/null; then
            say "dockerd exited; the end of its log:"
            tail -n 20 "$LOG" >&2 || true
            exit 1
        fi
        if ((SECONDS - started >= TIMEOUT)); then
            say "dockerd did not answer within ${TIMEOUT}s; the end of its log:"
            tail -n 20 "$LOG" >&2 || true
            kill "$child" 2>/dev/null || true
            exit 1
        fi
        sleep 0.5
    done
    say "running at $HOST after $((SECONDS - started))s"
    printf '%s\n' "$HOST"
}

stop_pid() {
    local pid=$1 waited=0
    kill -TERM "$pid" 2>/dev/null || return 0
    # dockerd stops its containers first; give it time before forcing.
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= 60)); then
            say "dockerd $pid ignored SIGTERM for 30s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
}

down() {
    local pid
    if ! pid="$(our_pid)"; then
        say "no dockerd started by this script is running (pid file $PIDFILE)"
        return 0
    fi
    say "stopping dockerd $pid"
    stop_pid "$pid"
    rm -f "$PIDFILE"
}

status() {
    if answers; then
        printf '%s\n' "$HOST"
        docker --host "$HOST" version --format 'server {{.Server.Version}}' >&2 || true
        return 0
    fi
    say "not running at $HOST"
    return 3
}

prune_tests() {
    local host="${DOCKER_HOST:-$HOST}" images
    images="$(docker --host "$host" images --format '{{.Repository}}:{{.Tag}}' | grep '^exhume-test/' || true)"
    if [ -n "$images" ]; then
        # shellcheck disable=SC2086 # one image name per word
        docker --host "$host" rmi -f $images >/dev/null
    fi
    docker --host "$host" image prune -f >/dev/null
    say "removed $(printf '%s' "$images" | grep -c . || true) test images and the dangling ones"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
prune-tests) prune_tests ;;
*)
    echo "usage: $0 {up|down|status|prune-tests}" >&2
    exit 2
    ;;
esac
