"""Votes open when the roll arrived get one: today's eligible residents plus anyone who has
already voted, and a participation row for each ballot. Their secret ballots lose the voter
(moved to the anonymous table); they have no receipts, which their receipts page will show as
fewer receipts than participants."""

from django.db import migrations


def forwards(apps, schema_editor):
    Vote = apps.get_model("talks", "Vote")
    Ballot = apps.get_model("talks", "Ballot")
    RollEntry = apps.get_model("talks", "RollEntry")
    Participation = apps.get_model("talks", "Participation")
    SecretBallot = apps.get_model("talks", "SecretBallot")
    Resident = apps.get_model("villageaffairs", "Resident")
    for vote in Vote.objects.filter(closed_at__isnull=True).iterator():
        cutoff = vote.opens_at.year - 18
        people = {
            r.pk: r
            for r in Resident.objects.filter(village_id=vote.village_id, user__isnull=False)
            if r.year_of_birth is None or r.year_of_birth <= cutoff
        }
        ballots = list(Ballot.objects.filter(vote=vote))
        by_user = {r.user_id: r for r in Resident.objects.filter(user__in=[b.voter_id for b in ballots])}
        for b in ballots:
            if b.voter_id in by_user:
                people[by_user[b.voter_id].pk] = by_user[b.voter_id]
        if vote.electorate == "households":
            homes = {}
            for r in people.values():
                homes.setdefault(r.household_id, r)
            for b in ballots:  # whoever voted for the household stands for it
                if b.voter_id in by_user:
                    homes[by_user[b.voter_id].household_id] = by_user[b.voter_id]
            people = {r.pk: r for r in homes.values()}
        entries = {}
        for r in people.values():
            entries[r.user_id] = RollEntry.objects.create(
                village_id=vote.village_id,
                vote=vote,
                resident_id=r.pk,
                household_id=r.household_id,
                name=r.name,
            )
        for b in ballots:
            entry = entries.get(b.voter_id)
            if entry is not None:
                Participation.objects.create(
                    village_id=vote.village_id,
                    vote=vote,
                    entry=entry,
                    cast_by_id=b.cast_by_id,
                    voted_on=b.created_at.date(),
                )
            if vote.secret:
                SecretBallot.objects.create(village_id=vote.village_id, vote=vote, choice=b.choice)
        if vote.secret:
            Ballot.objects.filter(vote=vote).delete()
        Vote.objects.filter(pk=vote.pk).update(
            electorate_size=len(entries),
            household_count=len({e.household_id for e in entries.values()}),
            live_results=vote.live_results and not vote.secret,
        )


class Migration(migrations.Migration):
    dependencies = [("talks", "0007_roll_participation_secret_ballots")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
