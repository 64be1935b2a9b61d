"""The aiohttp front end: gunicorn worker, HTTP server, and aiohttp requests to the core.

worker.py is the gunicorn worker; server.py, protocol.py, linescan.py and
proxyproto.py parse and police connections as gunicorn does; listeners.py
accepts them; environ.py, body.py and response.py translate a request to and
from the core (handle.py ties them); accesslog.py, serverhooks.py and boot.py
carry gunicorn's logging, hooks and start-up checks; devserver.py is runserver's.
"""
