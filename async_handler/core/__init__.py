"""The transport-free Django core: middleware chain, view runner, lifecycle, hops.

Nothing here knows a socket or imports a server library: the front ends
(aiohttp/, asgi/) describe each request as an Exchange (exchange.py) and
CoreHandler.serve() (handler.py) answers it.
"""
