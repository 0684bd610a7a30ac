#!/usr/bin/env bash
# README command (2): set up, install Elasticsearch 8.12.2 (pinned by sha512; the tests start and stop
# their own nodes with deploy/elasticsearch/start.sh and stop.sh), fetch the pinned real fixtures, lint,
# type-check, and run the whole test suite: the unit tests, then the integration tests (those that build a
# library run once per backend).
set -euo pipefail
cd "$(dirname "$0")/.."
CINESEARCH_SETUP_TESTS=1 bash deploy/setup.sh
bash deploy/elasticsearch/install.sh
export HF_HUB_OFFLINE=1
echo "tests: fetching real fixtures (pinned by sha256, cached in tests/.cache)" >&2
.venv/bin/python tests/fixture_media.py >/dev/null
.venv/bin/ruff check .
echo "tests: mypy (search, models, cli, settings, errors; configured in pyproject.toml)" >&2
.venv/bin/mypy
echo "tests: unit (no models, no media)" >&2
.venv/bin/python -m pytest tests/unit "$@"
echo "tests: integration (real media, packaged models, both backends)" >&2
.venv/bin/python -m pytest tests/integration "$@"
