"""The synthesized GCP stack: CMEK, no public access, roles on these resources only, and
services whose environment is exactly the runtime's settings."""

from __future__ import annotations

import pytest

from adapters.naming import table_name
from adapters.settings import Settings, env_name
from infra.bundle import Bundle
from infra.gcp.account import APIS
from infra.logical import PROCESS_VARIABLE, ROLLOUT_POLICY
from runtime.config import RuntimeSettings
from runtime.schema import COLLECTIONS
from tests.infra.conftest import Synth

KEY_ID = "${google_kms_crypto_key.key.id}"
RUNTIME = {
    f"${{google_service_account.runtime_identity_{process}.member}}"
    for process in ("api", "worker")
}
PUBSUB_AGENT = (
    "serviceAccount:service-${data.google_project.project.number}"
    "@gcp-sa-pubsub.iam.gserviceaccount.com"
)


@pytest.fixture(scope="module")
def tf(gcp_synth: Synth) -> Synth:
    return gcp_synth


def test_required_apis_are_enabled(tf: Synth) -> None:
    services = {s["service"] for s in tf.resources("google_project_service").values()}
    required = {
        "storage", "pubsub", "firestore", "cloudkms", "cloudbuild",
        "appengine", "appengineflex", "billingbudgets", "iam", "logging",
    }  # fmt: skip
    assert {f"{api}.googleapis.com" for api in required} <= services
    assert services == {f"{api}.googleapis.com" for api in APIS}


def test_key_rotates_and_service_agents_may_use_it(tf: Synth) -> None:
    key = tf.resource("google_kms_crypto_key", "key")
    assert key["rotation_period"] == "7776000s"
    assert key["key_ring"] == "${google_kms_key_ring.key_ring.id}"
    assert key["lifecycle"] == {"prevent_destroy": True}
    grants = tf.resources("google_kms_crypto_key_iam_member").values()
    assert {g["role"] for g in grants} == {"roles/cloudkms.cryptoKeyEncrypterDecrypter"}
    members = {g["member"] for g in grants}
    assert (
        "serviceAccount:${data.google_storage_project_service_account.key_storage_agent"
        ".email_address}" in members
    )
    assert PUBSUB_AGENT in members
    assert not RUNTIME & members, "the runtime never touches the key itself"


def test_bucket_is_versioned_cmek_and_never_public(tf: Synth) -> None:
    bucket = tf.resource("google_storage_bucket", "bucket")
    assert bucket["name"] == "mlpoc-test-data"
    assert bucket["versioning"] == {"enabled": True}
    assert bucket["encryption"] == {"default_kms_key_name": KEY_ID}
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert "google_kms_crypto_key_iam_member.key_storage_agent_grant" in bucket["depends_on"]
    [rule] = bucket["lifecycle_rule"]
    assert rule["condition"]["days_since_noncurrent_time"] > 0


def test_subscription_dead_letters_after_configured_deliveries(tf: Synth) -> None:
    subscription = tf.resource("google_pubsub_subscription", "jobs_queue_subscription")
    assert subscription["topic"] == "${google_pubsub_topic.jobs_queue.id}"
    assert subscription["dead_letter_policy"] == {
        "dead_letter_topic": "${google_pubsub_topic.dead_letter_queue.id}",
        "max_delivery_attempts": 7,
    }
    assert tf.config.project.max_deliveries == 7
    assert set(subscription["retry_policy"]) == {"minimum_backoff", "maximum_backoff"}
    assert subscription["ack_deadline_seconds"] <= 600
    dl_subscription = tf.resource("google_pubsub_subscription", "dead_letter_queue_subscription")
    assert dl_subscription["topic"] == "${google_pubsub_topic.dead_letter_queue.id}"
    assert "dead_letter_policy" not in dl_subscription
    for topic in tf.resources("google_pubsub_topic").values():
        assert topic["kms_key_name"] == KEY_ID


def test_pubsub_agent_can_forward_dead_letters(tf: Synth) -> None:
    publisher = tf.resource(
        "google_pubsub_topic_iam_member", "dead_letter_queue_pubsub_agent_publishes"
    )
    assert publisher == publisher | {
        "topic": "${google_pubsub_topic.dead_letter_queue.name}",
        "role": "roles/pubsub.publisher",
        "member": PUBSUB_AGENT,
    }
    subscriber = tf.resource(
        "google_pubsub_subscription_iam_member", "jobs_queue_pubsub_agent_subscribes"
    )
    assert subscriber == subscriber | {
        "subscription": "${google_pubsub_subscription.jobs_queue_subscription.name}",
        "role": "roles/pubsub.subscriber",
        "member": PUBSUB_AGENT,
    }
    assert tf.data("google_project", "project")["project_id"] == "mlpoc-test-123456"


def test_firestore_native_with_two_indexes_per_query(tf: Synth) -> None:
    database = tf.resource("google_firestore_database", "documents")
    assert database["type"] == "FIRESTORE_NATIVE"
    assert database["name"] == "mlpoc-test-docs"
    indexes = list(tf.resources("google_firestore_index").values())
    assert len(indexes) == 2 * sum(len(c.indexes) for c in COLLECTIONS)
    found = {
        (i["collection"], tuple((f["field_path"], f["order"]) for f in i["fields"]))
        for i in indexes
    }
    for collection in COLLECTIONS:
        name = table_name("mlpoc-test-", collection.name)
        for index in collection.indexes:
            for order in ("ASCENDING", "DESCENDING"):
                fields = ((index.field, "ASCENDING"), (index.order_by, order))
                assert (name, fields) in found, (name, fields)
    for index in indexes:
        assert index["database"] == "${google_firestore_database.documents.name}"
        assert index["query_scope"] == "COLLECTION"


def test_api_keys_live_in_a_database_of_their_own(tf: Synth) -> None:
    """Firestore IAM stops at the database: API keys (written by operators only) sit apart,
    where the API may only read them (test_gcp_identity.py)."""
    operators = tf.resource("google_firestore_database", "documents_operators")
    documents = tf.resource("google_firestore_database", "documents")
    assert operators["name"] == "mlpoc-test-keys"
    for field in ("type", "location_id", "point_in_time_recovery_enablement"):
        assert operators[field] == documents[field], field
    assert [c.name for c in COLLECTIONS if c.operator_written] == ["api_keys"]
    outputs = tf.tf["output"]
    assert outputs["firestore_operator_database"]["value"] == (
        "${google_firestore_database.documents_operators.name}"
    )


def test_logs_are_kept_for_the_configured_retention(tf: Synth) -> None:
    bucket = tf.resource("google_logging_project_bucket_config", "logs")
    assert (bucket["bucket_id"], bucket["location"]) == ("_Default", "global")
    assert bucket["retention_days"] == 30  # [gcp].log_retention_days, default 30
    assert bucket["project"] == "mlpoc-test-123456"


def test_data_access_audit_logs_of_storage_and_firestore(tf: Synth) -> None:
    configs = {c["service"]: c for c in tf.resources("google_project_iam_audit_config").values()}
    assert set(configs) == {"storage.googleapis.com", "datastore.googleapis.com"}
    for config in configs.values():
        assert config["project"] == "mlpoc-test-123456"
        assert {c["log_type"] for c in config["audit_log_config"]} == {
            "ADMIN_READ", "DATA_READ", "DATA_WRITE",
        }  # fmt: skip
        assert all("exempted_members" not in c for c in config["audit_log_config"])


def _versions(tf: Synth) -> dict[str, dict]:
    versions = tf.resources("google_app_engine_flexible_app_version")
    return {v["service"]: v for v in versions.values()}


def test_two_services_built_from_the_release_bundle(tf: Synth) -> None:
    bundle = Bundle()
    versions = _versions(tf)
    assert set(versions) == {"default", "worker"}
    obj = tf.resource("google_storage_bucket_object", "app_bundle")
    assert obj["name"] == f"_deploy/appengine/{bundle.digest}.zip"
    assert obj["bucket"] == "${google_storage_bucket.bucket.name}"
    assert (tf.path.parent / obj["source"]).read_bytes() == bundle.data
    url = (
        "https://storage.googleapis.com/${google_storage_bucket_object.app_bundle.bucket}/"
        "${google_storage_bucket_object.app_bundle.name}"
    )
    for service, yaml_name in (("default", "app.yaml"), ("worker", "worker.yaml")):
        deployment = versions[service]["deployment"]
        assert deployment["zip"] == {"source_url": url, "files_count": len(bundle.members)}
        assert deployment["cloud_build_options"]["app_yaml_path"] == yaml_name
        assert yaml_name in bundle.members and "Dockerfile" in bundle.members
    # A new release is a new version (tag + digest) that takes the traffic before the old goes.
    release = f"v-1-2-3-{bundle.digest[:12]}"
    for service, version in versions.items():
        assert version["version_id"] == release
        assert version["lifecycle"] == {"create_before_destroy": True}
        [split] = [
            t
            for t in tf.resources("google_app_engine_service_split_traffic").values()
            if t["service"] == service
        ]
        assert split["split"]["allocations"] == {release: "1"}
        assert split["migrate_traffic"] is False
    for service, process in (("default", "api"), ("worker", "worker")):
        version = versions[service]
        assert version["runtime"] == "custom"
        # Each service runs as its own account (test_gcp_identity.py).
        account = f"${{google_service_account.runtime_identity_{process}.email}}"
        assert version["service_account"] == account
    assert versions["default"]["env_variables"][PROCESS_VARIABLE] == "api"
    assert versions["worker"]["env_variables"][PROCESS_VARIABLE] == "worker"
    # The worker serves no API but must answer the health checks on App Engine's port.
    health_port = RuntimeSettings.env_name("health_port")
    assert versions["worker"]["env_variables"][health_port] == "8080"
    assert health_port not in versions["default"]["env_variables"]
    app = tf.resource("google_app_engine_application", "app")
    assert app["location_id"] == "europe-west"


def test_scaling_follows_the_config(tf: Synth) -> None:
    versions = _versions(tf)
    scaling = versions["default"]["automatic_scaling"]
    assert (scaling["min_total_instances"], scaling["max_total_instances"]) == (2, 4)
    assert versions["default"]["resources"] == {"cpu": 2, "memory_gb": 4}
    assert versions["worker"]["manual_scaling"] == {"instances": 1}


def test_a_new_version_takes_traffic_only_once_ready(tf: Synth) -> None:
    versions = _versions(tf)
    policy = ROLLOUT_POLICY
    # App Engine fails the deploy (the old version keeps the traffic) unless the new one's
    # readiness check passes within the start timeout; the split moves traffic after it.
    assert versions["default"]["readiness_check"] == {
        "path": policy.ready_path,
        "app_start_timeout": f"{policy.start_timeout_seconds}s",
    }
    assert versions["worker"]["readiness_check"] == {
        "path": policy.live_path,  # the worker answers liveness only
        "app_start_timeout": f"{policy.start_timeout_seconds}s",
    }
    for version in versions.values():
        assert version["liveness_check"] == {"path": policy.live_path}
    for name, split in tf.resources("google_app_engine_service_split_traffic").items():
        process = name.removeprefix("app_").removesuffix("_traffic")
        assert split["depends_on"] == [f"google_app_engine_flexible_app_version.app_{process}"], (
            "the split waits for the version to be created, i.e. ready"
        )


def test_the_api_redirects_to_https_behind_google_front_end(tf: Synth) -> None:
    versions = _versions(tf)
    api = versions["default"]["env_variables"]
    assert api["MLPOC_HTTPS_ONLY"] == "true"
    assert api["MLPOC_FORWARDED_ALLOW_IPS"] == "*"
    assert "MLPOC_ORIGIN_SECRET" not in api, "no CDN in front on App Engine"
    worker = versions["worker"]["env_variables"]
    assert "MLPOC_HTTPS_ONLY" not in worker and "MLPOC_FORWARDED_ALLOW_IPS" not in worker
    assert tf.tf["output"]["service_url"]["value"] == (
        "https://${google_app_engine_application.app.default_hostname}"
    )


def test_a_domain_is_mapped_with_a_managed_certificate(gcp_options_synth: Synth) -> None:
    mapping = gcp_options_synth.resource("google_app_engine_domain_mapping", "edge")
    assert mapping["domain_name"] == "api.example.com"
    assert mapping["ssl_settings"] == {"ssl_management_type": "AUTOMATIC"}
    outputs = gcp_options_synth.tf["output"]
    assert outputs["service_url"]["value"] == "https://api.example.com"
    assert "domain_records" in outputs


def test_without_a_domain_the_edge_is_google_front_end(tf: Synth) -> None:
    assert not tf.resources("google_app_engine_domain_mapping")
    assert "appspot.com" in (tf.blockless["edge"] or "")


RUNTIME_EXTRAS = {PROCESS_VARIABLE, "MLPOC_HTTPS_ONLY", "MLPOC_FORWARDED_ALLOW_IPS"}
RUNTIME_EXTRAS.add(RuntimeSettings.env_name("health_port"))


def test_services_environment_is_the_runtime_settings(tf: Synth) -> None:
    for version in _versions(tf).values():
        env = {k: v for k, v in version["env_variables"].items() if k not in RUNTIME_EXTRAS}
        assert set(env) <= {env_name(name) for name in Settings.model_fields}
        for field in Settings.required_for("gcp"):
            assert env_name(field) in env, field
        assert env[env_name("backend")] == "gcp"
        assert env[env_name("gcp_project")] == "mlpoc-test-123456"
        assert env[env_name("bucket")] == "${google_storage_bucket.bucket.name}"
        assert env[env_name("queue")] == "${google_pubsub_topic.jobs_queue.name}"
        assert env[env_name("subscription")] == (
            "${google_pubsub_subscription.jobs_queue_subscription.name}"
        )
        assert env[env_name("dead_letter_subscription")] == (
            "${google_pubsub_subscription.dead_letter_queue_subscription.name}"
        )
        assert env[env_name("firestore_database")] == (
            "${google_firestore_database.documents.name}"
        )
        assert env[env_name("firestore_operator_database")] == (
            "${google_firestore_database.documents_operators.name}"
        )
        assert env[env_name("max_deliveries")] == "7"


def test_dead_letter_alert_and_budget_mail_the_team(tf: Synth) -> None:
    channel = tf.resource("google_monitoring_notification_channel", "alerts_email")
    assert channel["type"] == "email"
    assert channel["labels"] == {"email_address": "ops@example.com"}
    channel_id = "${google_monitoring_notification_channel.alerts_email.id}"
    policy = tf.resource("google_monitoring_alert_policy", "dlq_alarm")
    [condition] = policy["conditions"]
    threshold = condition["condition_threshold"]
    assert "pubsub.googleapis.com/subscription/num_undelivered_messages" in threshold["filter"]
    assert (
        "${google_pubsub_subscription.dead_letter_queue_subscription.name}" in threshold["filter"]
    )
    assert (threshold["comparison"], threshold["threshold_value"]) == ("COMPARISON_GT", 0)
    assert policy["notification_channels"] == [channel_id]
    budget = tf.resource("google_billing_budget", "budget")
    assert budget["billing_account"] == "012345-6789AB-CDEF01"
    assert budget["amount"]["specified_amount"] == {
        "currency_code": "EUR",
        "units": "75",
        "nanos": 500_000_000,
    }
    assert budget["all_updates_rule"]["monitoring_notification_channels"] == [channel_id]
    assert budget["budget_filter"]["projects"] == ["projects/${data.google_project.project.number}"]


def test_outputs_name_everything_the_runtime_needs(tf: Synth) -> None:
    outputs = tf.tf["output"]
    for field in Settings.required_for("gcp"):
        assert field in outputs, field
    for name in ("firestore_database", "max_deliveries", "service_url", "release", "settings"):
        assert name in outputs, name
    env = _versions(tf)["worker"]["env_variables"]
    env = {k: v for k, v in env.items() if k not in RUNTIME_EXTRAS}
    assert outputs["settings"]["value"] == env, "status and keys --stack read this"
