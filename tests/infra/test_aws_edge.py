"""HTTPS on AWS without a domain of one's own: CloudFront in front of the API's load balancer,
which only CloudFront can reach, with a secret header the API checks; with [api].domain, an
ACM certificate (us-east-1) for it."""

from __future__ import annotations

from typing import Any

import yaml

from infra.aws.edge import ORIGIN_HEADER
from infra.aws.services import CLOUDFRONT_ORIGIN_FACING
from infra.deploy_files import compose_yaml
from runtime.api import front_end
from tests.infra.conftest import Synth

SECRET = "${aws_ssm_parameter.app_origin_secret.value}"


def _distribution(tf: Synth) -> dict[str, Any]:
    return tf.resource("aws_cloudfront_distribution", "edge")


def _api_settings(tf: Synth) -> dict[tuple[str, str], str]:
    env = tf.resource("aws_elastic_beanstalk_environment", "app_api")
    return {(s["namespace"], s["name"]): s["value"] for s in env["setting"]}


def test_viewers_get_https_only(aws_synth: Synth) -> None:
    distribution = _distribution(aws_synth)
    assert distribution["enabled"] is True
    behavior = distribution["default_cache_behavior"]
    assert behavior["viewer_protocol_policy"] == "redirect-to-https"
    assert distribution["viewer_certificate"] == {"cloudfront_default_certificate": True}
    assert "aliases" not in distribution
    # Every method reaches the API; nothing is cached; viewers' headers (the API key) pass.
    assert set(behavior["allowed_methods"]) == {
        "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
    }  # fmt: skip
    assert behavior["cache_policy_id"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # disabled
    assert behavior["origin_request_policy_id"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    # Every answer carries HSTS and the usual security headers, whatever the API says.
    policy = "aws_cloudfront_response_headers_policy.edge_security_headers"
    assert behavior["response_headers_policy_id"] == f"${{{policy}.id}}"
    headers = aws_synth.resource(*policy.split("."))["security_headers_config"]
    assert headers["strict_transport_security"] == {
        "access_control_max_age_sec": 31_536_000,
        "include_subdomains": True,
        "override": True,
    }
    assert headers["content_type_options"] == {"override": True}
    assert headers["frame_options"] == {"frame_option": "DENY", "override": True}
    url = aws_synth.tf["output"]["service_url"]["value"]
    assert url == "https://${aws_cloudfront_distribution.edge.domain_name}"


def test_the_origin_is_the_api_and_carries_the_secret(aws_synth: Synth) -> None:
    [origin] = _distribution(aws_synth)["origin"]
    assert origin["domain_name"] == "${aws_elastic_beanstalk_environment.app_api.cname}"
    assert origin["custom_origin_config"]["origin_protocol_policy"] == "http-only"
    assert origin["custom_header"] == [{"name": ORIGIN_HEADER, "value": SECRET}]
    # The header the API checks is the one CloudFront sends.
    assert ORIGIN_HEADER == front_end.ORIGIN_HEADER
    assert (
        _api_settings(aws_synth)[
            ("aws:elasticbeanstalk:application:environment", "MLPOC_ORIGIN_SECRET")
        ]
        == SECRET
    )


def test_the_secret_is_random_kept_encrypted_and_made_once(aws_synth: Synth) -> None:
    parameter = aws_synth.resource("aws_ssm_parameter", "app_origin_secret")
    assert parameter["type"] == "SecureString"
    assert parameter["key_id"] == "${aws_kms_key.key.arn}"
    assert parameter["value"] == (
        "${data.aws_secretsmanager_random_password.app_origin_secret_random.random_password}"
    )
    assert parameter["lifecycle"] == {"ignore_changes": ["value"]}
    random = aws_synth.data("aws_secretsmanager_random_password", "app_origin_secret_random")
    assert random["password_length"] >= 32


def test_only_cloudfront_reaches_the_load_balancer(aws_synth: Synth) -> None:
    group = aws_synth.resource("aws_security_group", "app_load_balancer")
    [ingress] = group["ingress"]
    prefix_list = "${data.aws_ec2_managed_prefix_list.app_cloudfront_origins.id}"
    assert ingress["prefix_list_ids"] == [prefix_list]
    assert (ingress["from_port"], ingress["to_port"], ingress["protocol"]) == (80, 80, "tcp")
    assert ingress["cidr_blocks"] == [] and ingress["ipv6_cidr_blocks"] == []
    assert ingress["security_groups"] == [] and ingress["self"] is False
    [egress] = group["egress"]
    assert egress["cidr_blocks"] == ["${data.aws_vpc.app_vpc.cidr_block}"]
    assert (egress["from_port"], egress["to_port"]) == (80, 80)
    name = aws_synth.data("aws_ec2_managed_prefix_list", "app_cloudfront_origins")["name"]
    assert name == CLOUDFRONT_ORIGIN_FACING == "com.amazonaws.global.cloudfront.origin-facing"
    settings = _api_settings(aws_synth)
    group_id = "${aws_security_group.app_load_balancer.id}"
    assert settings[("aws:elbv2:loadbalancer", "SecurityGroups")] == group_id
    assert settings[("aws:elbv2:loadbalancer", "ManagedSecurityGroup")] == group_id


def test_the_api_trusts_forwarded_headers_from_its_vpc_only(aws_synth: Synth) -> None:
    env = "aws:elasticbeanstalk:application:environment"
    settings = _api_settings(aws_synth)
    assert settings[(env, "MLPOC_FORWARDED_ALLOW_IPS")] == "${data.aws_vpc.app_vpc.cidr_block}"
    # The API container itself is started HTTPS-only (the compose file, from the bundle).
    services = yaml.safe_load(compose_yaml())["services"]
    assert services["api"]["environment"]["MLPOC_HTTPS_ONLY"] == "true"
    assert aws_synth.data("aws_vpc", "app_vpc")["default"] is True


def test_a_domain_gets_an_acm_certificate_in_us_east_1(aws_options_synth: Synth) -> None:
    tf = aws_options_synth
    providers = tf.tf["provider"]["aws"]
    [alias] = [p for p in providers if p.get("alias") == "aws_us_east_1"]
    assert alias["region"] == "us-east-1"
    certificate = tf.resource("aws_acm_certificate", "edge_certificate")
    assert certificate["domain_name"] == "api.example.com"
    assert certificate["validation_method"] == "DNS"
    assert certificate["provider"] == "aws.aws_us_east_1"
    validation = tf.resource("aws_acm_certificate_validation", "edge_certificate_validation")
    assert validation["provider"] == "aws.aws_us_east_1"
    distribution = _distribution(tf)
    assert distribution["aliases"] == ["api.example.com"]
    assert distribution["viewer_certificate"] == {
        "acm_certificate_arn": (
            "${aws_acm_certificate_validation.edge_certificate_validation.certificate_arn}"
        ),
        "ssl_support_method": "sni-only",
        "minimum_protocol_version": "TLSv1.2_2021",
    }
    outputs = tf.tf["output"]
    assert outputs["service_url"]["value"] == "https://api.example.com"
    assert "certificate_validation" in outputs and "cloudfront_domain" in outputs


def test_without_a_domain_there_is_no_certificate(aws_synth: Synth) -> None:
    assert not aws_synth.resources("aws_acm_certificate")
    assert [p.get("alias") for p in aws_synth.tf["provider"]["aws"]] == [None]
