"""The HTTPS front end on App Engine: Google's own, with a certificate for `*.appspot.com`;
the API redirects plain HTTP and sends HSTS itself (runtime.api.front_end; App Engine
flexible has no `secure: always`). With [api].domain, a domain mapping with a
Google-managed certificate for it (the domain must be verified as the deployer's first:
README)."""

from __future__ import annotations

from cdktf_cdktf_provider_google.app_engine_domain_mapping import (
    AppEngineDomainMapping,
    AppEngineDomainMappingSslSettings,
)

from infra.build import BuildContext, builder
from infra.gcp.config import project_id
from infra.gcp.services import Services
from infra.logical import Kind


@builder(Kind.EDGE, reads=(Kind.SERVICES,))
def build_edge(ctx: BuildContext) -> Services:
    services = ctx.read(Kind.SERVICES, Services)
    domain = ctx.config.api.domain
    if domain:
        mapping = AppEngineDomainMapping(
            ctx.stack,
            ctx.id,
            project=project_id(ctx.config),
            domain_name=domain,
            ssl_settings=AppEngineDomainMappingSslSettings(ssl_management_type="AUTOMATIC"),
            depends_on=[services.application],
        )
        ctx.output(
            "domain_records",
            mapping.resource_records,
            f"DNS records that point {domain} at App Engine",
        )
        url = f"https://{domain}"
    else:
        ctx.blockless(
            "without [api].domain, App Engine's own front end serves *.appspot.com over HTTPS"
        )
        url = f"https://{services.application.default_hostname}"
    ctx.output("service_url", url, "URL of the API (HTTPS)")
    return services
