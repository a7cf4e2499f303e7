"""The release bundle (infra.bundle) as a Terraform asset of a stack: cdktf copies the zip
beside the synthesized JSON, and the services builders upload it from there."""

from __future__ import annotations

from pathlib import Path

from cdktf import AssetType, TerraformAsset, TerraformStack

from infra.bundle import Bundle


def release_asset(stack: TerraformStack, bundle: Bundle) -> str:
    """The asset's path, relative to the stack's directory (Terraform's working directory)."""
    staging = Path(str(stack.node.root.outdir)) / "bundles"  # type: ignore[attr-defined]
    asset = TerraformAsset(
        stack, "release_bundle", path=str(bundle.write(staging)), type=AssetType.FILE
    )
    return asset.path
