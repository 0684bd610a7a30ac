"""cinesearch: semantic search for movies (shots, scenes, tags, cast and story events).

The package maps the repository's top-level folders into one namespace:
`cinesearch.indexer` (indexer/), `cinesearch.search` (search/), `cinesearch.models` (models/),
`cinesearch.web` (web/), plus `cinesearch.cli`, `cinesearch.settings` and `cinesearch.errors`,
which live here. See docs/design.md.
"""

from __future__ import annotations

__version__ = "0.9.0"
