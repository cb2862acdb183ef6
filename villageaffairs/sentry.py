"""Error reports to Sentry (settings: SENTRY_DSN). Errors only, no personal data."""

from villageaffairs.logging import get_request_id, scrub_event


def before_send(event, hint):
    # The id the villager reads from the 500 page finds the report.
    event.setdefault("tags", {})["request_id"] = get_request_id()
    return scrub_event(event, hint)


def sentry_init(*, dsn: str, environment: str, **options) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # Names, phones, addresses and cookies stay out of the reports.
        send_default_pii=False,
        traces_sample_rate=0.0,
        before_send=before_send,
        before_breadcrumb=lambda crumb, hint: scrub_event(crumb, hint),
        **options,
    )
