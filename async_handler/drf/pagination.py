"""Pagination with Django's async ORM for DRF's page-number and limit/offset styles.

DRF's paginators count and slice synchronously. For their two common styles the
count is taken with `acount()` and the page fetched by async iteration; the rest of
their logic (query parameters, errors, links) is DRF's own, called unchanged.
Paginators with an `async def paginate_queryset` are awaited; any other paginator,
or a subclass that overrides `paginate_queryset`, runs in one thread hop.
"""

from __future__ import annotations

from inspect import getattr_static
from typing import Any

from django.core.paginator import InvalidPage
from django.db.models.query import QuerySet
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound
from rest_framework.pagination import (  # noqa: F401  (re-exported)
    BasePagination,
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
)

from ._util import is_async, run_sync

# DRF's get_paginated_response implementations only format links and counts.
_PURE_RESPONSES = frozenset(
    {
        PageNumberPagination.get_paginated_response,
        LimitOffsetPagination.get_paginated_response,
        CursorPagination.get_paginated_response,
    }
)


async def _page_number(
    paginator: PageNumberPagination, queryset: QuerySet[Any], request: Any
) -> Any:
    paginator.request = request
    page_size = paginator.get_page_size(request)
    if not page_size:
        return None
    django_paginator = paginator.django_paginator_class(queryset, page_size)
    if not isinstance(getattr_static(type(django_paginator), "count", None), cached_property):
        return NotImplemented
    # Prime Paginator.count (a cached_property) so page() does no sync query.
    django_paginator.count = await queryset.acount()
    page_number = paginator.get_page_number(request, django_paginator)
    try:
        page = django_paginator.page(page_number)
    except InvalidPage as exc:
        raise NotFound(
            paginator.invalid_page_message.format(page_number=page_number, message=str(exc))
        ) from exc
    page.object_list = [obj async for obj in page.object_list]
    paginator.page = page
    if django_paginator.num_pages > 1 and paginator.template is not None:
        paginator.display_page_controls = True
    return list(page)


async def _limit_offset(
    paginator: LimitOffsetPagination, queryset: QuerySet[Any], request: Any
) -> Any:
    paginator.request = request
    paginator.limit = paginator.get_limit(request)
    if paginator.limit is None:
        return None
    paginator.count = await queryset.acount()
    paginator.offset = paginator.get_offset(request)
    if paginator.count > paginator.limit and paginator.template is not None:
        paginator.display_page_controls = True
    if paginator.count == 0 or paginator.offset > paginator.count:
        return []
    window = queryset[paginator.offset : paginator.offset + paginator.limit]
    return [obj async for obj in window]


async def apaginate_queryset(paginator: Any, queryset: Any, request: Any, view: Any) -> Any:
    """One page of `queryset` as a list, or None when pagination is off."""
    method = paginator.paginate_queryset
    if is_async(method):
        return await method(queryset, request, view=view)
    if isinstance(queryset, QuerySet):
        cls = type(paginator)
        page: Any = NotImplemented
        if cls.paginate_queryset is PageNumberPagination.paginate_queryset:
            page = await _page_number(paginator, queryset, request)
        elif (
            cls.paginate_queryset is LimitOffsetPagination.paginate_queryset
            and cls.get_count is LimitOffsetPagination.get_count
        ):
            page = await _limit_offset(paginator, queryset, request)
        if page is not NotImplemented:
            return page
    return await run_sync(method, queryset, request, view=view)


async def aget_paginated_response(paginator: Any, data: Any) -> Any:
    method = paginator.get_paginated_response
    if is_async(method):
        return await method(data)
    if getattr(type(paginator), "get_paginated_response", None) in _PURE_RESPONSES:
        return method(data)
    return await run_sync(method, data)
