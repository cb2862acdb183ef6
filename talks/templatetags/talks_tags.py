from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def region_name(region) -> str:
    """A region's name in the page's language: its English name on English pages, if it has
    one (三水镇 / Sanshui Town)."""
    if region is None:
        return ""
    if (get_language() or "").startswith("en") and region.name_en:
        return region.name_en
    return region.name
