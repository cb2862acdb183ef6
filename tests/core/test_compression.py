"""Pages travel compressed to phones on a weak signal."""

import gzip

from django.urls import reverse

from tests.factories import VillageFactory


def test_pages_are_gzipped_for_browsers_that_accept_it(client, db):
    VillageFactory(slug="youyi")
    plain = client.get(reverse("village_home", args=["youyi"]))
    assert "Content-Encoding" not in plain
    packed = client.get(reverse("village_home", args=["youyi"]), HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content).decode().count("</html>") == 1
    assert len(packed.content) < len(plain.content)
