"""The points app's printed notices: the village's ranking and the public posting (公示).

Both are built from a fixed number of queries whatever the village's size: the ranking from
its snapshot (one text column) and one list of the village's households, the posting from one
query over the entries still posted.
"""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from points.models import LedgerEntry, RankingSnapshot
from points.selectors import latest_snapshot, star_level, star_thresholds
from points.services import settings_for
from villageaffairs.models import Household, Village
from villageaffairs.printing import Column, Notice, public_url


def _day(when) -> str:
    return formats.date_format(timezone.localtime(when), "Y-m-d")


def _minute(when) -> str:
    return formats.date_format(timezone.localtime(when), "Y-m-d H:i")


def stars(level: int) -> str:
    # The notice font has no star glyph: the level is written as a number.
    return ngettext("%(n)s star", "%(n)s stars", level) % {"n": level} if level else "-"


def _period(period: str) -> str:
    return period if period in RankingSnapshot.Period.values else RankingSnapshot.Period.ALL


def available(request) -> list[dict]:
    slug = request.village.slug
    return [
        {
            "title": _("Points ranking of all households"),
            "url": reverse("points:ranking_notice", args=[slug]),
            "note": _("Every household's rank, score and star level, as of the latest ranking."),
        },
        {
            "title": _("Points ranking of this year"),
            "url": reverse("points:ranking_notice", args=[slug]) + "?period=year",
            "note": _("This year's scores only."),
        },
        {
            "title": _("Public posting of points changes"),
            "url": reverse("points:posting_notice", args=[slug]),
            "note": _("The changes still open to objection, each with its deadline."),
        },
    ]


def ranking(village: Village, *, period: str = RankingSnapshot.Period.ALL) -> bytes:
    """The whole village's ranking from its latest snapshot (three queries)."""
    period = _period(period)
    page = reverse("points:ranking", args=[village.slug])
    url = public_url(page + ("?period=year" if period == RankingSnapshot.Period.YEAR else ""))
    snapshot = latest_snapshot(village.pk, period)
    if period == RankingSnapshot.Period.YEAR:
        title = _("Points ranking of %(year)s") % {"year": snapshot.year if snapshot else ""}
    else:
        title = _("Points ranking")
    if snapshot is None:
        notice = Notice(village_name=village.name, title=title, url=url)
        notice.paragraph(_("The ranking has not been computed yet."))
        return notice.finish()
    subtitle = _("%(n)d households ranked, as of %(when)s.") % {
        "n": snapshot.households_ranked,
        "when": _minute(snapshot.computed_at),
    }
    notice = Notice(village_name=village.name, title=title, url=url, subtitle=subtitle)
    households = {
        pk: (house_number, name)
        for pk, house_number, name in Household.objects.filter(village=village)
        .values_list("pk", "house_number", "name")
        .iterator(chunk_size=2000)
    }
    thresholds = star_thresholds(village.pk)
    columns = [
        Column(_("Rank"), 0.13, "right"),
        Column(_("House number"), 0.2),
        Column(_("Household"), 0.3),
        Column(_("Points"), 0.17, "right"),
    ]
    all_time = period == RankingSnapshot.Period.ALL
    if all_time:
        columns.append(Column(_("Star level"), 0.2, "center"))
    else:  # the year's table is wider in its name column
        columns[2] = Column(_("Household"), 0.5)

    def rows():
        for row in snapshot.ranks():
            house_number, name = households.get(row.household_id, ("", ""))
            cells = [row.rank, house_number, name, row.score]
            if all_time:
                cells.append(stars(star_level(row.score, thresholds)))
            yield cells

    notice.table(columns, rows())
    if all_time:
        notice.spacer()
        notice.paragraph(
            _("Star levels from the village's rules: %(levels)s points.")
            % {"levels": " / ".join(str(t) for t in thresholds)},
            size=12,
        )
    return notice.finish()


def posting(village: Village) -> bytes:
    """The points changes still posted for objection, oldest first, each with its deadline."""
    url = public_url(reverse("points:posting", args=[village.slug]))
    days = settings_for(village).posting_days
    notice = Notice(
        village_name=village.name,
        title=_("Public posting of points"),
        url=url,
        subtitle=ngettext(
            "Every change of a household's points is posted for %(days)d day.",
            "Every change of a household's points is posted for %(days)d days.",
            days,
        )
        % {"days": days},
    )
    notice.paragraph(
        _(
            "How to object: until the deadline of an entry, any villager may object to it, "
            "on the posting page (scan the QR code) or in person at the village committee "
            "office. The committee answers every objection."
        )
    )
    notice.spacer(6)
    entries = (
        LedgerEntry.objects.filter(village=village, in_score=True, posted_until__gt=timezone.now())
        .select_related("household")
        .only(
            "kind",
            "points",
            "reason",
            "created_at",
            "posted_until",
            "household__name",
            "household__house_number",
        )
        .order_by("created_at", "pk")
    )
    columns = [
        Column(_("Date"), 0.16),
        Column(_("Household"), 0.2),
        Column(_("Change"), 0.09, "right"),
        Column(_("Reason"), 0.29),
        Column(_("Objections until"), 0.26),
    ]

    def rows():
        for entry in entries.iterator(chunk_size=500):
            reason = entry.reason
            if entry.kind == LedgerEntry.Kind.REVERSAL:
                reason = _("Correction: %(reason)s") % {"reason": reason}
            yield [
                _day(entry.created_at),
                f"{entry.household.house_number} {entry.household.name}",
                f"{entry.points:+d}",
                reason,
                _minute(entry.posted_until),
            ]

    if not notice.table(columns, rows()):
        notice.paragraph(_("Nothing is posted at the moment."))
    return notice.finish()
