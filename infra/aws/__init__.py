"""The AWS stack. Importing this package registers the AWS provider for fast imports, so
every module below imports only the provider submodules it needs."""

from infra.providers import AWS, register

register(AWS)
