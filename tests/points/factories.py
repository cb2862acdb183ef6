"""Factories of the points app."""

import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from points.models import Item, Rule
from tests.factories import VillageFactory


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rule

    village = factory.SubFactory(VillageFactory)
    category = Rule.Category.CIVILITY
    text = factory.Sequence(lambda n: f"好事第{n}件")
    points = 8


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    village = factory.SubFactory(VillageFactory)
    name = factory.Sequence(lambda n: f"洗衣粉{n}")
    cost = 10
    stock = 5


def jpeg_upload(name="evidence.jpg", size=(64, 48), exif=None) -> SimpleUploadedFile:
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG", **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def evidence_photo(user, **claim_kwargs):
    """A claim with one evidence photo, by ``user`` for the household they live in."""
    from points import services
    from points.models import EvidencePhoto
    from villageaffairs.images import clean_image
    from villageaffairs.models import Household

    household = Household.objects.get(residents__user=user)
    rule = RuleFactory(village=household.village)
    claim = services.claim_submit(
        actor=user,
        household=household,
        rule=rule,
        note="扫雪",
        photos=[clean_image(jpeg_upload())],
        **claim_kwargs,
    )
    return EvidencePhoto.objects.get(claim=claim)
