#!/usr/bin/env bash
# PrairieLearn's external grader runs this once per submission (as root, networking off);
# it must leave $PL_GRADE_ROOT/results/results.json behind.
ROOT="${PL_GRADE_ROOT:-/grade}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PL_PYTHON:-python3}"
export PL_GRADE_ROOT="$ROOT"
mkdir -p "$ROOT/results" && chmod 700 "$ROOT/results"
cd "$HERE" && "$PYTHON" -m autograder prairielearn
if [ ! -s "$ROOT/results/results.json" ]; then
  # Last resort, if Python itself could not run: still a valid results file, not a zero.
  printf '%s\n' '{"gradable": false, "score": 0, "message": "The autograder could not run (an internal error, not your code). Your instructor can see the details; please tell them."}' \
    > "$ROOT/results/results.json"
fi
exit 0
