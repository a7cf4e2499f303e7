"""The API service (FastAPI): `create_app()`, run by `python -m runtime.api`."""

from runtime.api.app import create_app

__all__ = ["create_app"]
