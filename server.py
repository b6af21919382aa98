"""Entry point: `uvicorn server:app` or `python server.py` serves Tandem on its settings."""

from __future__ import annotations

import uvicorn

from assistant.api import create_app
from assistant.config import get_settings

app = create_app()

if __name__ == "__main__":
    settings = get_settings()
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None)
