"""Build-time only: the CDK for Terraform app that describes mlpoc's cloud (never imported by
the runtime). Every cdktf import lives under this package, so moving to CDK Terrain touches
nothing else."""
