"""moto in server mode, one process per test session (`runtime.cli.emulators`)."""

from runtime.cli.emulators import DUMMY_AWS_ENV, start_moto

__all__ = ["DUMMY_AWS_ENV", "start_moto"]
