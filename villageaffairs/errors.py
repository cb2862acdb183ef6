"""Error pages in the visitor's language, light enough for a weak signal."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from villageaffairs.logging import get_request_id


def page_not_found(request, exception=None):
    if request.path.startswith("/api/"):  # API clients get problem details, not a page
        from django.http import JsonResponse

        from villageaffairs.apikit import STANDARD, Problem, problem_body

        body = problem_body(request, Problem("not_found", STANDARD["not_found"], status=404))
        return JsonResponse(
            body,
            status=404,
            content_type="application/problem+json",
            json_dumps_params={"ensure_ascii": False},
        )
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    # No context processors that touch the database: it may be what failed. The request id
    # lets the support desk find this error in the logs when a villager reads it out.
    request_id = getattr(request, "request_id", None) or get_request_id()
    context = {"request": None, "request_id": request_id if request_id != "-" else ""}
    return HttpResponseServerError(loader.get_template("500.html").render(context))
