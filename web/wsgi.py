"""WSGI entry point for production servers: `gunicorn -w 2 -b 127.0.0.1:8000 cinesearch.web.wsgi:app`
(library from $CINESEARCH_LIBRARY)."""

from cinesearch.web.app import create_app

app = create_app()
