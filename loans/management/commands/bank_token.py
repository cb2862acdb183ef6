"""Bank API tokens from the command line (the branch manager's page does the same)::

    manage.py bank_token create <branch> --name 信贷系统 [--scopes lookup credit] [--days 365]
    manage.py bank_token revoke <prefix>
    manage.py bank_token list <branch>

``<branch>`` is the branch's id or its name (with the bank's, "广汉农村商业银行 三水支行", where
two banks have a branch of that name). The token is printed once and never stored.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from loans import selectors, services
from loans.models import BankToken, Branch


def _branch(value: str) -> Branch:
    if value.isdigit():
        branches = list(Branch.objects.filter(pk=int(value)))
    else:
        bank, _sep, name = value.rpartition(" ")
        qs = Branch.objects.filter(name=name)
        branches = list(qs.filter(bank__name=bank) if bank else qs)
    if len(branches) != 1:
        raise CommandError(
            f"No single branch {value!r}: give its id, or the bank's name and the branch's."
        )
    return branches[0]


class Command(BaseCommand):
    help = "Create, revoke and list a branch's bank API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("branch")
        create.add_argument("--name", required=True, help="The bank system, e.g. 信贷系统.")
        create.add_argument(
            "--scopes",
            nargs="+",
            choices=BankToken.Scope.values,
            default=list(BankToken.Scope.values),
        )
        create.add_argument("--days", type=int, default=365)
        revoke = sub.add_parser("revoke", help="Revoke a token at once.")
        revoke.add_argument("prefix")
        listing = sub.add_parser("list", help="The branch's tokens (never the secrets).")
        listing.add_argument("branch")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, branch, name, scopes, days, **_):
        branch = _branch(branch)
        try:
            token, plain = services.token_create(
                actor=None, branch=branch, name=name, scopes=scopes, days=days
            )
        except services.LoanError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(
            f"Token {token.prefix} for {branch} {token.name} ({token.scopes}), "
            f"expires {timezone.localtime(token.expires_at):%Y-%m-%d}. "
            "It is shown only now: store it in the bank system."
        )
        self.stdout.write(plain)

    def _revoke(self, *, prefix, **_):
        token = selectors.token_by_prefix(prefix.removeprefix("va_").split("_")[0])
        if token is None:
            raise CommandError(f"No token {prefix!r}.")
        if services.token_revoke(actor=None, token=token):
            self.stdout.write(f"Revoked {token}.")
        else:
            self.stdout.write(f"{token} was already revoked.")

    def _list(self, *, branch, **_):
        for token in selectors.tokens_of(_branch(branch)):
            if token.revoked_at:
                state = f"revoked {timezone.localtime(token.revoked_at):%Y-%m-%d %H:%M}"
            elif token.is_active:
                state = f"expires {timezone.localtime(token.expires_at):%Y-%m-%d}"
            else:
                state = "expired"
            used = (
                f"last used {timezone.localtime(token.last_used_at):%Y-%m-%d %H:%M}"
                if token.last_used_at
                else "never used"
            )
            self.stdout.write(f"{token.prefix}\t{token.name}\t{token.scopes}\t{state}\t{used}")
