"""WSGI entry point for production servers: `gunicorn -w 2 -b 127.0.0.1:8000 web.wsgi:app`
(library from $CINESEARCH_LIBRARY)."""

from web.app import create_app

app = create_app()
