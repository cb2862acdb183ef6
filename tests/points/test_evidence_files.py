"""Claim evidence is private: stored under private/ and served only to the household and the
village's cadres, through points.views.photo."""

from django.urls import reverse

from tests.factories import member
from tests.points.factories import evidence_photo
from villageaffairs.models import Role


def _url(photo, thumb=False):
    name = "points:photo_thumb" if thumb else "points:photo"
    return reverse(name, args=[photo.village.slug, photo.pk])


def test_evidence_is_stored_under_private_and_linked_through_the_view(client, people):
    photo = evidence_photo(people.villager_here)
    assert photo.image.name.startswith("private/points/")
    assert photo.thumbnail.name.startswith("private/points/")
    client.force_login(people.cadre_here)
    body = client.get(reverse("points:review", args=["youyi"])).content.decode()
    assert _url(photo) in body and _url(photo, thumb=True) in body
    assert "/media/" not in body


def test_only_the_household_and_cadres_get_the_file(client, people):
    photo = evidence_photo(people.villager_here)
    housemate = member(people.here, household=photo.claim.household)
    neighbour = member(people.here)
    for viewer in (None, neighbour, people.villager_elsewhere, people.cadre_elsewhere):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        assert client.get(_url(photo)).status_code == 404, viewer
        assert client.get(_url(photo, thumb=True)).status_code == 404, viewer
    for viewer in (people.villager_here, housemate, people.cadre_here):
        client.force_login(viewer)
        response = client.get(_url(photo))
        assert response.status_code == 200, viewer
        assert b"".join(response.streaming_content) == photo.image.open("rb").read()
        assert response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
        assert "public" not in response["Cache-Control"]


def test_another_villages_path_does_not_reach_the_photo(client, people):
    photo = evidence_photo(people.villager_here)
    client.force_login(member(people.elsewhere, Role.CADRE))
    url = reverse("points:photo", args=[people.elsewhere.slug, photo.pk])
    assert client.get(url).status_code == 404


def test_production_hands_the_file_to_nginx(client, people, settings):
    settings.MEDIA_ACCEL_REDIRECT = True
    photo = evidence_photo(people.villager_here)
    client.force_login(people.cadre_here)
    response = client.get(_url(photo, thumb=True))
    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == "/_private_media/" + photo.thumbnail.name.removeprefix(
        "private/"
    )
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
