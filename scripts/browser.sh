#!/usr/bin/env bash
# Print the path of a headless-capable Chromium for the HTML report's browser test, installing Debian's
# chromium package with apt-get when none is on PATH (root only). The path is the only line on stdout;
# everything else goes to stderr. Not root and no browser: a message, exit 0, nothing on stdout (the test then
# skips and says why).
#
# Typical use:  EXHUME_CHROMIUM="$(scripts/browser.sh)" && export EXHUME_CHROMIUM
set -euo pipefail

say() { printf 'browser: %s\n' "$*" >&2; }

find_browser() {
    local name
    for name in chromium chromium-browser google-chrome; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

if find_browser; then
    exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
    say "no chromium on PATH and not root: install Debian's chromium package to run the HTML report's test"
    exit 0
fi
say "installing chromium with apt-get"
rc=0
{
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
} >&2 || rc=$?
if ((rc)); then
    say "apt-get failed (exit $rc)"
    exit "$rc"
fi
find_browser
