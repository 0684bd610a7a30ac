#!/usr/bin/env bash
# README command (2): set up, install Elasticsearch 8.12.2 (pinned by sha512; the tests start and stop
# their own nodes with deploy/elasticsearch/start.sh and stop.sh), fetch the pinned real fixtures, lint,
# and run the whole test suite, the integration tests once per backend.
set -euo pipefail
cd "$(dirname "$0")/.."
CINESEARCH_SETUP_TESTS=1 bash deploy/setup.sh
bash deploy/elasticsearch/install.sh
export HF_HUB_OFFLINE=1
echo "tests: fetching real fixtures (pinned by sha256, cached in tests/.cache)" >&2
.venv/bin/python tests/fixture_media.py >/dev/null
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
