"""`python -m runtime.api`: serve the API with uvicorn on $PORT (default 8080), bound to
MLPOC_API_HOST (default 0.0.0.0), settings from `MLPOC_*` variables (connection limits and
timeouts and the trusted front end included: runtime.api.server), JSON logs on stdout."""

from __future__ import annotations

import os
import signal
import sys

from adapters.errors import ConfigurationError


def main() -> int:
    import uvicorn

    from runtime.api import logs, server
    from runtime.api.app import create_app
    from runtime.api.settings import load_api_settings

    level = os.environ.get("MLPOC_LOG_LEVEL", "INFO")
    logs.configure(level)
    try:
        settings = load_api_settings()
        port = int(os.environ.get("PORT", "8080"))
        app = create_app(settings)
    except (ConfigurationError, ValueError) as exc:
        print(f"mlpoc api: {exc}", file=sys.stderr)
        return 2
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the
    # handler it found: a no-op one lets the process exit 0 like the worker does.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: None)
    config = server.config(
        app, settings, host=settings.api_host, port=port, log_config=None, log_level=level.lower()
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
