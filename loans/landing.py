"""The bank staff's landing after sign-in: the lookup of their branch."""

from django.urls import reverse

from villageaffairs.landing import register


@register(30, "bank staff")
def bank_staff(user):
    branch_id = (
        user.branch_roles.order_by("created_at", "pk").values_list("branch_id", flat=True).first()
    )
    return reverse("loans:lookup", kwargs={"branch_id": branch_id}) if branch_id else None
