"""GCP rig: Google's Pub/Sub and Firestore emulators plus fake-gcs-server, one of each per
session; a fresh bucket, topics, subscriptions and collection prefix per settings().

The adapters under test carry no test switch: the SDKs find the servers through their own
*_EMULATOR_HOST variables, which start() puts into os.environ.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from adapters import Collection, Settings
from adapters.gcp import clients
from tests.rigs.base import Rig
from tests.servers.gcp import GcpServers, start_gcp_servers

PROJECT = "mlpoc-test"
# Subscriptions' default ack deadline: the ports' default lease, so a default receive
# needs no ModifyAckDeadline call.
ACK_DEADLINE_SECONDS = 60


class GcpRig(Rig):
    name = "gcp"

    def __init__(self, servers: GcpServers) -> None:
        self.servers = servers
        self._admin: tuple[Any, Any, Any] | None = None

    @classmethod
    def start(cls, tmp_dir: Path) -> GcpRig:
        rig = cls(start_gcp_servers(tmp_dir / "logs"))
        rig.export_environment()
        return rig

    def environment(self) -> dict[str, str]:
        return {
            clients.PUBSUB_EMULATOR_HOST: self.servers.pubsub.host,
            clients.FIRESTORE_EMULATOR_HOST: self.servers.firestore.host,
            clients.STORAGE_EMULATOR_HOST: f"http://{self.servers.storage.host}",
            # Clients that look for a project (gcloud, google.auth.default) find this one.
            "GOOGLE_CLOUD_PROJECT": PROJECT,
        }

    def settings(self, collections: Iterable[Collection], *, max_deliveries: int = 5) -> Settings:
        # Firestore collections need no creation: `collections` only shapes the prefix.
        del collections
        name = self.unique("mlpoc-")
        storage, publisher, subscriber = self._admin_clients()
        storage.create_bucket(name)
        topic = publisher.topic_path(PROJECT, f"{name}-jobs")
        dead_topic = publisher.topic_path(PROJECT, f"{name}-dead")
        publisher.create_topic(request={"name": topic})
        publisher.create_topic(request={"name": dead_topic})
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(PROJECT, f"{name}-dead-sub"),
                "topic": dead_topic,
                "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
            }
        )
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(PROJECT, f"{name}-jobs-sub"),
                "topic": topic,
                "ack_deadline_seconds": ACK_DEADLINE_SECONDS,
                "dead_letter_policy": {
                    "dead_letter_topic": dead_topic,
                    "max_delivery_attempts": max_deliveries,
                },
            }
        )
        return Settings(
            backend="gcp",
            gcp_project=PROJECT,
            bucket=name,
            queue=f"{name}-jobs",
            dead_letter_queue=f"{name}-dead",
            subscription=f"{name}-jobs-sub",
            dead_letter_subscription=f"{name}-dead-sub",
            table_prefix=f"{name.replace('-', '_')}_",
            # As the stack deploys it: API keys in a database of their own.
            firestore_operator_database=f"{name}-keys",
            max_deliveries=max_deliveries,
        )

    def _admin_clients(self) -> tuple[Any, Any, Any]:
        """One set of clients for creating resources, made on first use."""
        if self._admin is None:
            self._admin = (
                clients.storage_client(PROJECT),
                clients.publisher_client(),
                clients.subscriber_client(),
            )
        return self._admin

    def stop(self) -> None:
        self.servers.stop()
        self.restore_environment()
