"""WebSockets in ordinary Django views: `websocket_view` and Channels consumers (`consumer_view`).

The pieces here do not depend on the server: a front end that can upgrade a
connection implements transport.py's Upgrade (aiohttp_socket.py for the
worker and runserver) and hands it to the view in request.META.
"""

from __future__ import annotations

from .consumer import consumer_view
from .socket import WebSocket, WebSocketDisconnect
from .view import SocketClosed, websocket_view

__all__ = ["SocketClosed", "WebSocket", "WebSocketDisconnect", "consumer_view",
           "websocket_view"]
