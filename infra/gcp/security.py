"""Cloud KMS key (CMEK for the bucket and the topics) and the service agents that encrypt
with it."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_google.data_google_storage_project_service_account import (
    DataGoogleStorageProjectServiceAccount,
)
from cdktf_cdktf_provider_google.kms_crypto_key import KmsCryptoKey
from cdktf_cdktf_provider_google.kms_crypto_key_iam_member import KmsCryptoKeyIamMember
from cdktf_cdktf_provider_google.kms_key_ring import KmsKeyRing

from infra.build import BuildContext, builder
from infra.gcp.account import Project
from infra.logical import Kind

ROTATION_PERIOD = f"{90 * 24 * 3600}s"
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


@dataclass(frozen=True)
class Key:
    key: KmsCryptoKey
    # The service agents' grants on the key, by service: a resource encrypted with the key
    # must wait for its service's grant.
    grants: dict[str, KmsCryptoKeyIamMember]


@builder(Kind.KEY, reads=(Kind.ACCOUNT,))
def build_key(ctx: BuildContext) -> Key:
    cid = ctx.id
    project = ctx.read(Kind.ACCOUNT, Project)
    ring = KmsKeyRing(
        ctx.stack,
        f"{cid}_ring",
        name=ctx.config.name,
        location=ctx.config.project.region,
        depends_on=[project.apis["cloudkms"]],
    )
    key = KmsCryptoKey(
        ctx.stack,
        cid,
        name=f"{ctx.config.name}-data",
        key_ring=ring.id,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=ROTATION_PERIOD,
        labels={"mlpoc-component": cid},
        # Destroying a key destroys its versions, and with them every byte encrypted under
        # it; Cloud KMS never deletes the key itself, so a destroy frees nothing anyway.
        lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
    )
    # Each service encrypts as its own service agent: Cloud Storage, Pub/Sub.
    storage_agent = DataGoogleStorageProjectServiceAccount(
        ctx.stack, f"{cid}_storage_agent", depends_on=[project.apis["storage"]]
    )
    members = {
        "storage": f"serviceAccount:{storage_agent.email_address}",
        "pubsub": project.service_agent("pubsub"),
    }
    grants = {
        service: KmsCryptoKeyIamMember(
            ctx.stack,
            f"{cid}_{service}_agent_grant",
            crypto_key_id=key.id,
            role=ENCRYPTER_DECRYPTER,
            member=member,
            depends_on=[project.apis[service]],
        )
        for service, member in members.items()
    }
    ctx.output("kms_key", key.id, "Cloud KMS key encrypting the bucket and the topics")
    return Key(key, grants)
