"""Backend-specific tests: what the shared contract suite cannot show."""
