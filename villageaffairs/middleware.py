"""Request id, tenancy (request.village) and language (cookie, default zh-hans) middleware."""

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_vary_headers

from villageaffairs.logging import clean_request_id, reset_request_id, set_request_id
from villageaffairs.permissions import village_access
from villageaffairs.selectors import village_by_slug

_LANGUAGES = {code for code, _ in settings.LANGUAGES}


class RequestIdMiddleware:
    """One id per request: the proxy's ``X-Request-ID`` if it is safe, else a new one.

    Log lines carry it (villageaffairs.logging.RequestIdFilter), the response and the 500 page
    show it, so a villager's "it went wrong" can be found in the logs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = clean_request_id(request.headers.get("X-Request-ID"))
        token = set_request_id(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response.headers["X-Request-ID"] = request.request_id
        return response


class LanguageMiddleware:
    """Chinese unless the visitor chose otherwise with the switch (a cookie).

    The browser's Accept-Language is not used on purpose: many villagers' phones report English
    while their users read Chinese, so a village page must not flip language by itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in _LANGUAGES else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class TenancyMiddleware:
    """Resolves ``/v/<village_slug>/…`` once into request.village and the viewer's rights."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.village = None
        request.village_roles = frozenset()
        request.village_perms = frozenset()
        # Set by village_view(oversee=True) for an official reading a cadre page: no forms.
        request.read_only = False
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("village_slug")
        if slug is None:
            return None
        village = village_by_slug(slug)
        if village is None:
            raise Http404("No such village.")
        request.village = village
        request.village_roles, request.village_perms = village_access(request.user, village)
        return None
