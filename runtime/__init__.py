"""Cloud-agnostic runtime: worker, model registry, API and CLI, written against the ports."""
