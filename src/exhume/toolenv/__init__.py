"""Tool environments: interpreters found on the user's machine, the virtual environments exhume runs pip and
pip-tools in, and the isolated process environment for them. Used by the lock and by the venv engine."""
