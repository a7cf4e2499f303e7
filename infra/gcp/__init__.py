"""The GCP stack. Importing this package registers the Google provider for fast imports, so
every module below imports only the provider submodules it needs."""

from infra.providers import GOOGLE, register

register(GOOGLE)
