"""Every emulator-only switch, in one place: the AWS stack as moto server can apply it.

`emulator_variant` takes the synthesized AWS `cdk.tf.json` and returns the configuration
`mlpoc rehearse aws` deploys to moto with the real cdktf CLI (the app rewrites its output
through `rewrite` when `infra.clouds.EMULATOR_ENDPOINT_ENV` is set). What is deployed and what is
rehearsed differ by exactly the switches below, each with the reason it exists; nothing else
anywhere changes the stack.

1. PROVIDER_SWITCHES: dummy keys, no credential/metadata/account lookups, path-style S3,
   every service's endpoint on the moto server, few retries (moto answers 500 for calls it
   lacks, and the default retries would hang for many minutes).
2. BEYOND_MOTO: Elastic Beanstalk and Budgets resources, every block of the components that
   consist of them (BEYOND_MOTO_COMPONENTS: the services, with EB's own service role and the
   release bundle object; the budget), whatever only they reference, and the outputs that
   name them are dropped: moto cannot apply them (EB tags, DescribeEvents and application
   versions; Budgets tags and subscribers; the managed policies of EB's service role).
3. Bucket-policy Deny statements with a Condition (the TLS-only statement) are dropped, and
   a bucket policy left with no statement with them: moto evaluates any conditional Deny
   as matching, so it would deny every request.
4. `lifecycle.ignore_changes` on SQS redrive policies: moto re-serializes their JSON, so
   every plan would show a whitespace-only diff.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Resource type prefixes moto cannot apply (see 2. above).
BEYOND_MOTO = ("aws_elastic_beanstalk_", "aws_budgets_")
BEYOND_MOTO_COMPONENTS = ("app", "budget")  # infra.logical ids: the services, the budget

# Endpoint names (the provider's canonical ones) of every service the stack may touch,
# all pointed at moto so that nothing can reach a real AWS endpoint.
ENDPOINT_SERVICES = (
    "acm",
    "cloudfront",
    "cloudtrail",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "events",
    "iam",
    "kms",
    "logs",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
)
# Which endpoint each resource/data type prefix needs; a type matching none is an error,
# so a new service in the stack cannot silently go unredirected.
_SERVICE_OF_PREFIX = (
    ("aws_acm_", "acm"),
    ("aws_cloudfront_", "cloudfront"),
    ("aws_cloudtrail", "cloudtrail"),
    ("aws_cloudwatch_log_", "logs"),
    ("aws_cloudwatch_event_", "events"),
    ("aws_cloudwatch_", "cloudwatch"),
    ("aws_dynamodb_", "dynamodb"),
    ("aws_ecr_", "ecr"),
    ("aws_iam_", "iam"),
    ("aws_kms_", "kms"),
    ("aws_s3_", "s3"),
    ("aws_secretsmanager_", "secretsmanager"),
    ("aws_sns_", "sns"),
    ("aws_sqs_", "sqs"),
    ("aws_ssm_", "ssm"),
    ("aws_caller_identity", "sts"),
    ("aws_partition", "sts"),
    ("aws_region", "sts"),
    ("aws_availability_zones", "ec2"),
    ("aws_vpc", "ec2"),
    ("aws_security_group", "ec2"),
    ("aws_ec2_", "ec2"),
    # A table inside the provider (each Region's load balancer account): no call at all.
    ("aws_elb_service_account", "sts"),
)

DUMMY_KEYS = {"access_key": "testing", "secret_key": "testing"}
PROVIDER_SWITCHES: dict[str, Any] = {
    **DUMMY_KEYS,
    "skip_credentials_validation": True,
    "skip_metadata_api_check": True,
    "skip_requesting_account_id": True,
    "s3_use_path_style": True,
    "max_retries": 2,
}
# Provider settings that would look for a real account or real credentials.
_PROVIDER_DROPPED = (
    "profile",
    "assume_role",
    "assume_role_with_web_identity",
    "allowed_account_ids",
    "forbidden_account_ids",
    "shared_config_files",
    "shared_credentials_files",
    "token",
)
# moto re-serializes these JSON attributes (see 4. above).
REDRIVE_ATTRIBUTES = {
    "aws_sqs_queue": ("redrive_policy", "redrive_allow_policy"),
    "aws_sqs_queue_redrive_policy": ("redrive_policy",),
    "aws_sqs_queue_redrive_allow_policy": ("redrive_allow_policy",),
}

_REF = re.compile(r"(?<![\w.])(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)")

Node = tuple[str, str, str]  # ("resource" | "data", type, name)


@dataclass
class EmulatorVariant:
    config: dict[str, Any]
    # What the switches took out or changed, for the test's report and assertions.
    removed: list[str] = field(default_factory=list)
    removed_outputs: list[str] = field(default_factory=list)
    dropped_statements: list[dict[str, Any]] = field(default_factory=list)
    ignored_changes: list[str] = field(default_factory=list)


def emulator_variant(
    stack: Mapping[str, Any], endpoint: str, owners: Mapping[str, list[str]] | None = None
) -> EmulatorVariant:
    """The synthesized AWS stack with every emulator-only switch applied (module docstring).

    `endpoint` is moto server's URL, e.g. "http://127.0.0.1:5000"; `owners` the Terraform
    addresses each component made (`SystemStack.owners`). The input is not changed. Raises
    ValueError if the stack has something a switch cannot handle.
    """
    variant = EmulatorVariant(copy.deepcopy(dict(stack)))
    owned = {a for c in BEYOND_MOTO_COMPONENTS for a in (owners or {}).get(c, [])}
    _drop_beyond_moto(variant, owned)
    _point_provider_at(variant.config, endpoint)
    _drop_conditional_bucket_denies(variant)
    _ignore_redrive_reserialization(variant)
    _prune_empty(variant.config)
    return variant


def switched_off(variant: EmulatorVariant) -> list[str]:
    """What the emulator run leaves out or bends, one line each (printed by the rehearsal)."""
    kinds = sorted({a.removeprefix("data.").split(".")[0] for a in variant.removed})
    lines = (
        [
            "not applied (moto cannot carry Elastic Beanstalk, AWS Budgets, EB's managed "
            f"policies): {', '.join(kinds)}"
        ]
        if kinds
        else []
    )
    if variant.removed_outputs:
        lines.append(f"outputs left out with them: {', '.join(sorted(variant.removed_outputs))}")
    lines += [
        f"bucket policy statement dropped (moto denies every request under it): {s.get('sid')}"
        for s in variant.dropped_statements
    ]
    if variant.ignored_changes:
        lines.append(
            "changes ignored (moto re-serializes the JSON): " + ", ".join(variant.ignored_changes)
        )
    lines.append("provider pointed at the emulator with dummy keys, 2 retries")
    return lines


def rewrite(path: Path, endpoint: str, owners: Mapping[str, list[str]]) -> list[str]:
    """Replace the synthesized stack at `path` by its emulator variant; what was switched off."""
    variant = emulator_variant(json.loads(path.read_text(encoding="utf-8")), endpoint, owners)
    path.write_text(json.dumps(variant.config, indent=2, sort_keys=True), encoding="utf-8")
    return switched_off(variant)


def _prune_empty(config: dict[str, Any]) -> None:
    """Terraform rejects a resource type (or a block kind) left with no block in it."""
    for kind in ("resource", "data"):
        blocks = config.get(kind, {})
        for type_ in [t for t, named in blocks.items() if not named]:
            del blocks[type_]
    for kind in ("resource", "data", "output"):
        if kind in config and not config[kind]:
            del config[kind]


def address(node: Node) -> str:
    kind, type_, name = node
    return f"{type_}.{name}" if kind == "resource" else f"data.{type_}.{name}"


# ------------------------------------------------------------------ 2. beyond moto


def _nodes(config: Mapping[str, Any]) -> dict[Node, Any]:
    nodes: dict[Node, Any] = {}
    for kind in ("resource", "data"):
        for type_, blocks in config.get(kind, {}).items():
            for name, body in blocks.items():
                nodes[(kind, type_, name)] = body
    return nodes


def _references(body: Any, known: Mapping[Node, Any]) -> set[Node]:
    text = json.dumps(body)
    found = set()
    for match in _REF.finditer(text):
        node: Node = ("data" if match.group(1) else "resource", match.group(2), match.group(3))
        if node in known:
            found.add(node)
    return found


def _drop_beyond_moto(variant: EmulatorVariant, owned: set[str]) -> None:
    config = variant.config
    nodes = _nodes(config)
    refs = {node: _references(body, nodes) - {node} for node, body in nodes.items()}
    removed = {n for n in nodes if n[1].startswith(BEYOND_MOTO) or address(n) in owned}
    changed = True
    while changed:
        changed = False
        for node in nodes.keys() - removed:
            referrers = {other for other, targets in refs.items() if node in targets}
            # Whatever references a dropped resource cannot stay (it would dangle) ...
            depends_on_removed = bool(refs[node] & removed)
            # ... and whatever only dropped resources reference is theirs.
            only_theirs = bool(referrers) and referrers <= removed
            if depends_on_removed or only_theirs:
                removed.add(node)
                changed = True
    for kind, type_, name in removed:
        del config[kind][type_][name]
    variant.removed = sorted(address(node) for node in removed)
    outputs = config.get("output", {})
    for name, body in list(outputs.items()):
        if _references(body, nodes) & removed:
            del outputs[name]
            variant.removed_outputs.append(name)
    # cdktf's own map of output names (construct id -> output) must not name them either.
    for names in config.get("//", {}).get("outputs", {}).values():
        for construct_id in [k for k, v in names.items() if v in variant.removed_outputs]:
            del names[construct_id]
    if _references(config.get("locals", {}), nodes) & removed:
        raise ValueError("a local value references a resource beyond moto; extend emulator.py")


# ------------------------------------------------------------------ 1. provider


def _service_of(type_: str) -> str:
    for prefix, service in _SERVICE_OF_PREFIX:
        if type_.startswith(prefix):
            return service
    raise ValueError(
        f"{type_}: no moto endpoint known for this resource type; add it to "
        "infra/aws/emulator.py (ENDPOINT_SERVICES and _SERVICE_OF_PREFIX)"
    )


def _point_provider_at(config: dict[str, Any], endpoint: str) -> None:
    for _kind, type_, _name in _nodes(config):
        _service_of(type_)
    providers = config.get("provider", {}).get("aws")
    if not providers:
        raise ValueError("the stack has no aws provider block")
    for provider in providers if isinstance(providers, list) else [providers]:
        for key in _PROVIDER_DROPPED:
            provider.pop(key, None)
        provider.update(PROVIDER_SWITCHES)
        provider["endpoints"] = [dict.fromkeys(ENDPOINT_SERVICES, endpoint)]


# ------------------------------------------------------------------ 3. conditional denies


def _is_conditional_deny(statement: Mapping[str, Any]) -> bool:
    effect = statement.get("Effect", statement.get("effect"))
    return effect == "Deny" and bool(statement.get("Condition") or statement.get("condition"))


def _drop_conditional_bucket_denies(variant: EmulatorVariant) -> None:
    config = variant.config
    documents = config.get("data", {}).get("aws_iam_policy_document", {})
    policies = config.get("resource", {}).get("aws_s3_bucket_policy", {})
    emptied: list[tuple[str, str | None]] = []
    for name, body in policies.items():
        policy = body.get("policy")
        if not isinstance(policy, str):
            raise ValueError(f"aws_s3_bucket_policy.{name}: policy is not a string")
        document = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}", policy)
        if document:
            source = documents[document.group(1)]
            statements = source.get("statement", [])
            source["statement"] = [s for s in statements if not _is_conditional_deny(s)]
            variant.dropped_statements += [s for s in statements if _is_conditional_deny(s)]
            if not source["statement"]:
                # A policy without statements is invalid: the policy goes with its statement.
                emptied.append((name, document.group(1)))
            continue
        try:
            parsed = json.loads(policy)
        except json.JSONDecodeError:
            raise ValueError(
                f"aws_s3_bucket_policy.{name}: policy is neither JSON nor an "
                "aws_iam_policy_document reference; extend emulator.py"
            ) from None
        statements = parsed.get("Statement", [])
        parsed["Statement"] = [s for s in statements if not _is_conditional_deny(s)]
        variant.dropped_statements += [s for s in statements if _is_conditional_deny(s)]
        body["policy"] = json.dumps(parsed)
        if not parsed["Statement"]:
            emptied.append((name, None))
    for policy_name, document_name in emptied:
        del policies[policy_name]
        variant.removed.append(f"aws_s3_bucket_policy.{policy_name}")
        if document_name is None:
            continue
        still_used = f"data.aws_iam_policy_document.{document_name}." in json.dumps(
            [config.get("resource", {}), config.get("output", {})]
        )
        if not still_used:
            del documents[document_name]
            variant.removed.append(f"data.aws_iam_policy_document.{document_name}")


# ------------------------------------------------------------------ 4. redrive JSON


def _ignore_redrive_reserialization(variant: EmulatorVariant) -> None:
    resources = variant.config.get("resource", {})
    for type_, attributes in REDRIVE_ATTRIBUTES.items():
        for name, body in resources.get(type_, {}).items():
            present = [a for a in attributes if a in body]
            if present:
                lifecycle = body.setdefault("lifecycle", {})
                ignored = lifecycle.setdefault("ignore_changes", [])
                ignored += [a for a in present if a not in ignored]
                variant.ignored_changes += [f"{type_}.{name}.{a}" for a in present]
