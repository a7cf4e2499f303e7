"""CloudFront in front of the API: HTTPS for every viewer, no domain of one's own needed.

- Viewers: HTTPS only (plain HTTP is redirected by CloudFront itself), on CloudFront's own
  `*.cloudfront.net` name and certificate, or on [api].domain with an ACM certificate
  (us-east-1, where CloudFront takes them from; DNS-validated: README).
- Origin: the API environment's load balancer, whose security group admits only CloudFront's
  origin-facing addresses (the services builder). Every request carries the origin secret
  header; the API refuses anything without it (runtime.api.front_end), so a request from
  another CloudFront distribution is refused too.
- Nothing is cached (an API of authenticated, changing answers); every viewer header, query
  string and cookie reaches the API, but Host (the load balancer answers any). Every answer
  carries HSTS and the usual security headers (`security_headers`), whatever the origin says.
"""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionOriginCustomHeader,
    CloudfrontDistributionOriginCustomOriginConfig,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_response_headers_policy import (
    CloudfrontResponseHeadersPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfig,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider

from infra.aws.services import Environments
from infra.build import BuildContext, BuildError, builder
from infra.deploy_files import PUBLIC_PORT
from infra.logical import Kind

# The header CloudFront adds to every origin request (runtime.api.front_end.ORIGIN_HEADER;
# a test keeps the two equal: infra may not import the API).
ORIGIN_HEADER = "X-Origin-Verify"
# AWS-managed policies (their ids are the same in every account).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# HSTS on every answer for a year, subdomains included (the API sends the same itself).
HSTS_SECONDS = 31_536_000
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
ORIGIN_ID = "api"
# CloudFront takes ACM certificates from this region only.
CERTIFICATE_REGION = "us-east-1"
CERTIFICATE_PROVIDER = "aws_us_east_1"


def certificate_provider(stack: object) -> AwsProvider:
    """The provider alias the stack declares in us-east-1 when [api].domain is set."""
    found = stack.node.try_find_child(CERTIFICATE_PROVIDER)  # type: ignore[attr-defined]
    if not isinstance(found, AwsProvider):
        raise BuildError(f"the AWS stack declares no {CERTIFICATE_PROVIDER} provider")
    return found


def _viewer_certificate(ctx: BuildContext) -> CloudfrontDistributionViewerCertificate:
    domain = ctx.config.api.domain
    if not domain:
        # CloudFront's own certificate for *.cloudfront.net (AWS fixes its TLS policy).
        return CloudfrontDistributionViewerCertificate(cloudfront_default_certificate=True)
    provider = certificate_provider(ctx.stack)
    certificate = AcmCertificate(
        ctx.stack,
        f"{ctx.id}_certificate",
        provider=provider,
        domain_name=domain,
        validation_method="DNS",
        lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        tags={"mlpoc:component": ctx.id},
    )
    # Waits until the DNS records of the `certificate_validation` output exist (README).
    validated = AcmCertificateValidation(
        ctx.stack,
        f"{ctx.id}_certificate_validation",
        provider=provider,
        certificate_arn=certificate.arn,
    )
    ctx.output(
        "certificate_validation",
        certificate.domain_validation_options,
        f"DNS records that prove {domain} is yours (ACM certificate validation)",
    )
    return CloudfrontDistributionViewerCertificate(
        acm_certificate_arn=validated.certificate_arn,
        ssl_support_method="sni-only",
        minimum_protocol_version="TLSv1.2_2021",
    )


def security_headers(ctx: BuildContext) -> CloudfrontResponseHeadersPolicy:
    return CloudfrontResponseHeadersPolicy(
        ctx.stack,
        f"{ctx.id}_security_headers",
        name=f"{ctx.config.name}-security-headers",
        comment="HSTS, nosniff, no framing, no referrer leaks",
        security_headers_config=CloudfrontResponseHeadersPolicySecurityHeadersConfig(
            strict_transport_security=(
                CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity(
                    access_control_max_age_sec=HSTS_SECONDS, include_subdomains=True, override=True
                )
            ),
            content_type_options=(
                CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions(
                    override=True
                )
            ),
            frame_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions(
                frame_option="DENY", override=True
            ),
            referrer_policy=CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy(
                referrer_policy="strict-origin-when-cross-origin", override=True
            ),
        ),
    )


@builder(Kind.EDGE, reads=(Kind.SERVICES,))
def build_edge(ctx: BuildContext) -> CloudfrontDistribution:
    environments = ctx.read(Kind.SERVICES, Environments)
    domain = ctx.config.api.domain
    distribution = CloudfrontDistribution(
        ctx.stack,
        ctx.id,
        enabled=True,
        comment=f"{ctx.config.name}: the mlpoc API over HTTPS",
        aliases=[domain] if domain else None,
        http_version="http2and3",
        is_ipv6_enabled=True,
        # North America and Europe edges only: the cheapest class.
        price_class="PriceClass_100",
        origin=[
            CloudfrontDistributionOrigin(
                origin_id=ORIGIN_ID,
                domain_name=environments.api.cname,
                custom_origin_config=CloudfrontDistributionOriginCustomOriginConfig(
                    # The load balancer has no certificate of its own (no domain to put on
                    # it): CloudFront reaches it over HTTP, inside AWS's network.
                    origin_protocol_policy="http-only",
                    http_port=PUBLIC_PORT,
                    https_port=443,
                    origin_ssl_protocols=["TLSv1.2"],
                ),
                custom_header=[
                    CloudfrontDistributionOriginCustomHeader(
                        name=ORIGIN_HEADER, value=environments.origin_secret
                    )
                ],
            )
        ],
        default_cache_behavior=CloudfrontDistributionDefaultCacheBehavior(
            target_origin_id=ORIGIN_ID,
            viewer_protocol_policy="redirect-to-https",
            allowed_methods=ALL_METHODS,
            cached_methods=["GET", "HEAD"],
            cache_policy_id=CACHING_DISABLED,
            origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy_id=security_headers(ctx).id,
            compress=True,
        ),
        restrictions=CloudfrontDistributionRestrictions(
            geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(
                restriction_type="none"
            )
        ),
        viewer_certificate=_viewer_certificate(ctx),
        tags={"mlpoc:component": ctx.id},
    )
    url = f"https://{domain}" if domain else f"https://{distribution.domain_name}"
    ctx.output("service_url", url, "URL of the API (HTTPS, through CloudFront)")
    ctx.output(
        "cloudfront_domain",
        distribution.domain_name,
        "CloudFront's name for the API (a custom domain's CNAME points here)",
    )
    return distribution
