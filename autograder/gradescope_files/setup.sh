#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image (Ubuntu 22.04, Python 3.10).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-python3}"
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  apt-get update && apt-get install -y --no-install-recommends python3-pip
fi
# The lean grading runtime: NumPy and nbformat, pinned. No torch: references are precomputed.
"$PYTHON" -m pip install --no-cache-dir --disable-pip-version-check \
  -r "$ROOT/source/requirements.txt"
# Student code runs as this user, which can read neither the references nor the results
# (the grader creates more, olab-sandbox-1 to -7, only if gradings run side by side).
id olab-sandbox-0 >/dev/null 2>&1 || \
  useradd --system --no-create-home --shell /usr/sbin/nologin olab-sandbox-0
chmod 700 "$ROOT/source/autograder/data"
