"""Version 1 of the HTTP API: the routers, mounted under /api/v1 by ``app.main``."""
