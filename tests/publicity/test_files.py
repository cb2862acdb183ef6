"""Attachments and receipts live under private/ and are served by views: drafts and
unpublished months to insiders only, published ones to everyone (and cacheable)."""

from datetime import date

from django.urls import reverse

from tests.publicity.factories import (
    PDF_BYTES,
    DisclosureFactory,
    attachment,
    book,
    publish,
    published_item,
    receipt_entry,
)


def _body(response):
    return b"".join(response.streaming_content)


def test_a_drafts_attachment_is_for_insiders_only(client, people):
    draft = DisclosureFactory(village=people.here)
    pdf = attachment(draft)
    assert pdf.file.name.startswith("private/publicity/")
    url = reverse("publicity:attachment_file", args=["youyi", pdf.pk])
    assert client.get(url).status_code == 404  # anonymous
    for outsider in (people.villager_here, people.villager_elsewhere, people.cadre_elsewhere):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    client.force_login(people.cadre_here)
    response = client.get(url)
    assert response.status_code == 200 and _body(response) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert "private" in response["Cache-Control"]
    body = client.get(reverse("publicity:item", args=["youyi", draft.pk])).content.decode()
    assert url in body and "/media/" not in body


def test_a_published_attachment_is_public_and_cacheable(client, people):
    item = published_item(people.here)
    photo = attachment(item, photo=True)
    url = reverse("publicity:attachment_thumb", args=["youyi", photo.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "private" not in response["Cache-Control"]
    body = client.get(reverse("publicity:item", args=["youyi", item.pk])).content.decode()
    assert url in body and "/media/" not in body
    # Another village's address does not reach it.
    other = reverse("publicity:attachment_thumb", args=[people.elsewhere.slug, photo.pk])
    assert client.get(other).status_code == 404


def test_a_receipt_is_public_once_its_month_is(client, people, settings):
    book(people.here, starts_on=date(2026, 1, 1))
    entry = receipt_entry(people.here, date(2026, 1, 6))
    assert entry.receipt.name.startswith("private/publicity/")
    url = reverse("publicity:receipt_file", args=["youyi", entry.pk])
    assert client.get(url).status_code == 404
    client.force_login(people.villager_here)
    assert client.get(url).status_code == 404
    client.force_login(people.cadre_here)
    response = client.get(url)
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    month = client.get(reverse("publicity:month", args=["youyi", "2026-01"])).content.decode()
    assert url in month and "/media/" not in month

    publish(people.here, date(2026, 1, 1))
    client.logout()
    settings.MEDIA_ACCEL_REDIRECT = True
    response = client.get(url)
    assert response.status_code == 200 and "public" in response["Cache-Control"]
    assert response["X-Accel-Redirect"] == "/_private_media/" + entry.receipt.name.removeprefix(
        "private/"
    )
