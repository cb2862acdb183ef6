"""Loans: the credit lookup (search and the logged profile page) with 2,000 households served.

Run on PostgreSQL, on a database of its own:

    DATABASE_URL=postgres://…/va_loans_bench python -m tests.bench.bench_loans --scale full
    … --scale small   (a quick smoke run: 200 households)

Data comes from ``manage.py bench_loans_data`` (made once per size, reused on later runs).
Every profile request writes a lookup row, as it does in production. The bank API's credit
call (a branch token, logged the same way) runs next to the page for the same household.
"""

import argparse

from tests.bench.common import Row, report, setup, time_page

SCALES = {"small": (200, 2), "full": (2000, 4)}


def main(scale: str = "full") -> None:
    setup()
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    households, villages = SCALES[scale]
    call_command("migrate", verbosity=0, interactive=False)  # run on its own, too
    out = StringIO()
    call_command("bench_loans_data", households=households, villages=villages, stdout=out)
    branch_id, code = out.getvalue().split()[-2:]
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-loans-officer"))
    data = f"{households} households served"
    rows = []
    for name, url, target in [
        (
            "credit profile (logged)",
            reverse("loans:profile", args=[branch_id, code]) + "?purpose=application",
            30,
        ),
        (
            "search by name",
            reverse("loans:lookup", args=[branch_id]) + "?q=户主1-1&purpose=enquiry",
            50,
        ),
        (
            "search by phone",
            reverse("loans:lookup", args=[branch_id]) + "?q=13901000012&purpose=enquiry",
            50,
        ),
    ]:
        median, p95, queries, size = time_page(client, url)
        rows.append(Row(name, f"{data}, {size // 1024} KB", median, p95, queries, target))
    api = _bank_api_client(branch_id)
    url = reverse("api_bank_credit", args=[code]) + "?purpose=application"
    median, p95, queries, size = time_page(api, url)
    rows.insert(1, Row("bank API credit (logged)", f"{data}, {size} B", median, p95, queries, 30))
    report(rows, "loans: credit lookup")


def _bank_api_client(branch_id):
    """A client of the branch's credit system: a fresh token (the secret is not kept)."""
    from django.test import Client

    from loans import services
    from loans.models import BankToken, Branch

    token, plain = services.token_create(
        actor=None,
        branch=Branch.objects.get(pk=branch_id),
        name="bench",
        scopes=BankToken.Scope.values,
        days=1,
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}", HTTP_X_OFFICER_ID="bench")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=tuple(SCALES), default="full")
    main(parser.parse_args().scale)
