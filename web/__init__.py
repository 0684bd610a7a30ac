"""The web front: the Flask app factory (`app`), the library the routes share (`library`), the JSON
API (`api`), the search and movie pages (`pages`, `templates/`, `static/`), and `wsgi` for gunicorn."""
