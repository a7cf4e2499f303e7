"""What the synthesized GCP stack declares, read statically from its cdk.tf.json: the data
plane `mlpoc rehearse gcp` creates on Google's emulators (bucket, topics, subscriptions with
their dead-letter policies) and the outputs that are literal names (the runtime's settings).

Terraform cannot apply the GCP stack offline (no Google provider mirror ships, and KMS, IAM,
App Engine, Cloud Build, Monitoring and Billing have no emulator), so the rehearsal creates
the resources the stack names, with the names it gives them, directly on the emulators.
Nothing here imports cdktf.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_REF = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}")


class NotDeclared(ValueError):
    """A value the rehearsal needs is computed by Google, not declared in the stack."""


@dataclass(frozen=True)
class Subscription:
    name: str
    topic: str
    ack_deadline_seconds: int
    dead_letter_topic: str | None
    max_delivery_attempts: int | None


@dataclass(frozen=True)
class DataPlane:
    project: str
    bucket: str
    topics: tuple[str, ...]
    subscriptions: tuple[Subscription, ...]
    outputs: dict[str, Any]  # every output whose value is declared (literal after resolving)


def _resources(stack: Mapping[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = stack.get("resource", {}).get(kind, {})
    return found


def resolve(stack: Mapping[str, Any], value: Any) -> Any:
    """`value` with every `${type.name.attribute}` replaced by that attribute's literal value
    in the stack (a Pub/Sub topic's `id` becomes its name, which is how the emulator's
    clients take it). NotDeclared if an attribute is computed."""
    if isinstance(value, dict):
        return {k: resolve(stack, v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(stack, v) for v in value]
    if not isinstance(value, str):
        return value

    def literal(match: re.Match[str]) -> str:
        kind, name, attribute = match.groups()
        body = _resources(stack, kind).get(name)
        if body is None:
            raise NotDeclared(match.group(0))
        if kind == "google_pubsub_topic" and attribute == "id":
            attribute = "name"
        found = body.get(attribute)
        if not isinstance(found, str | int) or "${" in str(found):
            raise NotDeclared(match.group(0))
        return str(found)

    return _REF.sub(literal, value)


def data_plane(stack: Mapping[str, Any]) -> DataPlane:
    project = stack["provider"]["google"][0]["project"]
    [bucket] = [b["name"] for b in _resources(stack, "google_storage_bucket").values()]
    topics = tuple(sorted(t["name"] for t in _resources(stack, "google_pubsub_topic").values()))
    subscriptions = []
    for body in _resources(stack, "google_pubsub_subscription").values():
        policy = body.get("dead_letter_policy") or {}
        subscriptions.append(
            Subscription(
                name=body["name"],
                topic=resolve(stack, body["topic"]),
                ack_deadline_seconds=int(body.get("ack_deadline_seconds", 10)),
                dead_letter_topic=resolve(stack, policy["dead_letter_topic"]) if policy else None,
                max_delivery_attempts=policy.get("max_delivery_attempts"),
            )
        )
    outputs = {}
    for name, output in stack.get("output", {}).items():
        try:
            outputs[name] = resolve(stack, output["value"])
        except NotDeclared:
            continue  # computed by Google (URLs, ids): not needed to run the runtime
    return DataPlane(project, bucket, topics, tuple(sorted(subscriptions, key=str)), outputs)
