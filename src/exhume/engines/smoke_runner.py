"""The smoke-test runner that exhume runs *inside* the built image (or the venv), with the network off.

It must run on every Python exhume targets, 2.7 included, so it uses only what 2.7 and 3.x share: no
f-strings, no subprocess timeouts (2.7 has none; a timer kills the child instead), no type annotations.
The plan comes as JSON in the EXHUME_SMOKE_PLAN environment variable; each result is one line on standard
output, prefixed with ``EXHUME-SMOKE `` so that the host can tell results from the code's own output.

Each check runs in a child process of its own, so that a crash (a segfault in a C extension, an abort, a
``sys.exit`` at import time) is one failed check, not a lost run.
"""

from __future__ import print_function

import json
import os
import subprocess
import sys
import threading
import time

PREFIX = "EXHUME-SMOKE "
TAIL = 4000

# Walks each dotted name: imports the longest importable prefix, then follows attributes. The walk stops (the
# name counts as resolved) at an object that is no module, class or routine: what hangs below an instance
# (tf.app.flags.FLAGS.batch_size, a flag the code defines itself) is the program's data, not the library's API.
API_PROGRAM = r"""
import importlib, inspect, json, sys
names = json.loads(sys.argv[1])
def api_like(obj):
    return inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isroutine(obj)
out = []
for name in names:
    parts = name.split(".")
    obj = None
    error = None
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError as exc:
            error = "%s: %s" % (type(exc).__name__, exc)
            continue
        except Exception as exc:
            error = "%s: %s" % (type(exc).__name__, exc)
            obj = None
            break
        try:
            for attr in parts[i:]:
                if not api_like(obj):
                    break
                obj = getattr(obj, attr)
            error = None
        except AttributeError as exc:
            error = "AttributeError: %s" % (exc,)
        except Exception as exc:
            error = "%s: %s" % (type(exc).__name__, exc)
        break
    out.append({"name": name, "ok": error is None, "error": error})
sys.stdout.write("\n@@EXHUME-API@@" + json.dumps(out) + "\n")
"""


def _run(argv, timeout, cwd=None):
    """Run argv; return (exit code or None on timeout, combined output tail, seconds)."""
    started = time.time()
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd)
    except OSError as exc:
        return 127, "cannot run %s: %s" % (argv[0], exc), 0.0
    timed_out = []

    def kill():
        timed_out.append(True)
        try:
            proc.kill()
        except OSError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        output = proc.communicate()[0]
    finally:
        timer.cancel()
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    code = None if timed_out else proc.returncode
    return code, text, time.time() - started


def _emit(result):
    sys.stdout.write(PREFIX + json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()


def _check(check):
    kind = check["kind"]
    timeout = float(check.get("timeout", 120))
    cwd = check.get("cwd") or None
    if kind == "pip-check":
        argv = [sys.executable, "-m", "pip", "check"]
    elif kind in ("import", "first-party"):
        argv = [sys.executable, "-c", "import %s" % check["module"]]
    elif kind == "api":
        argv = [sys.executable, "-c", API_PROGRAM, json.dumps(check["names"])]
    elif kind == "command":
        argv = ["/bin/sh", "-c", check["command"]]
    else:
        return {"id": check["id"], "kind": kind, "status": "error", "output": "unknown check kind"}
    code, output, seconds = _run(argv, timeout, cwd)
    result = {
        "id": check["id"],
        "kind": kind,
        "exit_code": code,
        "timed_out": code is None,
        "seconds": round(seconds, 2),
        "output": output[-TAIL:],
    }
    if kind == "api":
        marker = output.rfind("@@EXHUME-API@@")
        if marker >= 0:
            try:
                result["names"] = json.loads(output[marker + len("@@EXHUME-API@@") :].strip())
            except ValueError:
                pass
        result["output"] = output[:marker][-TAIL:] if marker >= 0 else output[-TAIL:]
    return result


def main():
    plan = json.loads(os.environ["EXHUME_SMOKE_PLAN"])
    _emit({"id": "python", "kind": "python", "version": "%d.%d.%d" % sys.version_info[:3]})
    for check in plan["checks"]:
        _emit(_check(check))
    return 0


if __name__ == "__main__":
    sys.exit(main())
