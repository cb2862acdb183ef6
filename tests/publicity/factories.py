"""Factories of the publicity app: books, entries, months, items."""

from datetime import date
from decimal import Decimal

import factory

from publicity import services
from publicity.models import Disclosure, FinanceBook, FinanceEntry
from tests.factories import UserFactory, VillageFactory, member
from villageaffairs.models import Role


class DisclosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disclosure

    village = factory.SubFactory(VillageFactory)
    kind = Disclosure.Kind.VILLAGE
    title = factory.Sequence(lambda n: f"公示事项{n}")
    text = "村委会公示内容。"
    period_start = date(2026, 1, 1)
    period_end = date(2026, 3, 31)
    author = factory.SubFactory(UserFactory)


def published_item(village, **kwargs) -> Disclosure:
    from django.utils import timezone

    return DisclosureFactory(
        village=village, status=Disclosure.Status.PUBLISHED, published_at=timezone.now(), **kwargs
    )


def book(village, starts_on=date(2026, 1, 1), opening=Decimal("1000.00")) -> FinanceBook:
    return FinanceBook.objects.create(village=village, starts_on=starts_on, opening_balance=opening)


def entry(village, day, amount, direction="income", category=None, user=None, **kwargs):
    category = category or ("contract" if direction == "income" else "public_works")
    return FinanceEntry.objects.create(
        village=village,
        date=day,
        direction=direction,
        category=category,
        amount=Decimal(amount),
        counterparty=kwargs.pop("counterparty", "鱼塘承包户"),
        recorded_by=user or UserFactory(),
        **kwargs,
    )


def accountant(village, **kwargs):
    return member(village, Role.ACCOUNTANT, **kwargs)


def finance_group(village, **kwargs):
    return member(village, Role.FINANCE_GROUP, **kwargs)


def publish(village, month, checker=None, publisher=None):
    """Check and publish ``month`` through the services (as the finance group and a cadre)."""
    checker = checker or finance_group(village)
    publisher = publisher or member(village, Role.SECRETARY)
    services.month_check(actor=checker, village=village, month=month)
    return services.month_publish(actor=publisher, village=village, month=month)


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def attachment(disclosure, name="账目.pdf", photo=False):
    """A PDF (or a photo with its thumbnail) attached to ``disclosure``, stored like an upload
    (under private/)."""
    from django.core.files.base import ContentFile

    from publicity.models import Attachment
    from tests.points.factories import jpeg_upload

    if photo:
        data = jpeg_upload().read()
        return Attachment.objects.create(
            village=disclosure.village,
            disclosure=disclosure,
            kind=Attachment.Kind.IMAGE,
            name="照片.jpg",
            file=ContentFile(data, name="a.jpg"),
            thumbnail=ContentFile(data, name="a-thumb.jpg"),
            size=len(data),
        )
    return Attachment.objects.create(
        village=disclosure.village,
        disclosure=disclosure,
        kind=Attachment.Kind.PDF,
        name=name,
        file=ContentFile(PDF_BYTES, name="a.pdf"),
        size=len(PDF_BYTES),
    )


def receipt_entry(village, day, amount="50.00"):
    """An entry with a receipt photo (stored like an upload, under private/)."""
    from django.core.files.base import ContentFile

    from tests.points.factories import jpeg_upload

    photo = jpeg_upload().read()
    return entry(
        village,
        day,
        amount,
        direction="expense",
        receipt=ContentFile(photo, name="r.jpg"),
        receipt_thumbnail=ContentFile(photo, name="r-thumb.jpg"),
    )
