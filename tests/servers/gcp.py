"""Google's Pub/Sub and Firestore emulators plus fake-gcs-server, one of each per session
(`runtime.cli.emulators`)."""

from runtime.cli.emulators import GcpServers, gcloud_sdk_root, start_gcp_servers

__all__ = ["GcpServers", "gcloud_sdk_root", "start_gcp_servers"]
