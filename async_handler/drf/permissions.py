"""Permission classes: DRF's own, and adrf's async base class and operators.

`AsyncBasePermission` subclasses define `async def has_permission` (and
`has_object_permission`) and combine with `&`, `|` and `~` into `AAND`, `AOR` and
`ANOT` (operators.py). The views never trust an operator's own answer: they walk
compositions leaf by leaf (evaluation.py), so a sync DRF operator over an async
permission, which DRF itself would pass unchecked (adrf issue #82), is checked too.
"""

from __future__ import annotations

from rest_framework.permissions import (  # noqa: F401  (re-exported for convenience)
    AND,
    NOT,
    OR,
    SAFE_METHODS,
    AllowAny,
    BasePermission,
    DjangoModelPermissions,
    DjangoModelPermissionsOrAnonReadOnly,
    DjangoObjectPermissions,
    IsAdminUser,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
)

from .evaluation import (  # noqa: F401  (used by policies.py)
    HAS_OBJECT_PERMISSION,
    HAS_PERMISSION,
    aevaluate,
    evaluate,
    kind_of,
)
from .operators import (
    AAND,
    ANOT,
    AOR,
    AsyncBasePermission,
    AsyncBasePermissionMetaClass,
    AsyncLogicOperatorMixin,
    AsyncOperandHolder,
    AsyncOperandHolderMixin,
    AsyncSingleLogicOperatorMixin,
    AsyncSingleOperandHolder,
    is_async_perm_operator,
    is_perm_operator,
    try_convert_operator,
)

__all__ = [
    "AAND", "AND", "ANOT", "AOR", "NOT", "OR", "SAFE_METHODS", "AllowAny",
    "AsyncBasePermission", "AsyncBasePermissionMetaClass", "AsyncLogicOperatorMixin",
    "AsyncOperandHolder", "AsyncOperandHolderMixin", "AsyncSingleLogicOperatorMixin",
    "AsyncSingleOperandHolder", "BasePermission", "DjangoModelPermissions",
    "DjangoModelPermissionsOrAnonReadOnly", "DjangoObjectPermissions", "IsAdminUser",
    "IsAuthenticated", "IsAuthenticatedOrReadOnly", "aevaluate", "evaluate",
    "is_async_perm_operator", "is_perm_operator", "try_convert_operator",
]
