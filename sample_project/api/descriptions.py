"""How DRF's browsable API shows a view's docstring: as paragraphs, with ``literals`` as code.

Without the markdown package, DRF shows a docstring's line breaks as ``<br>`` and its
reStructuredText literals with their double backticks. Set as ``VIEW_DESCRIPTION_FUNCTION``.
"""
from __future__ import annotations

import re
from typing import Any

from django.utils.html import escape
from django.utils.safestring import mark_safe
from rest_framework.views import get_view_description

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
LITERAL = re.compile(r"``(.+?)``")
CODE = r"<code>\1</code>"


def view_description(view: Any, html: bool = False) -> str:
    """DRF's description of ``view``; in HTML, one ``<p>`` per paragraph, literals in ``<code>``.

    The plain-text form, used by OPTIONS and the OpenAPI schema, is DRF's own.
    """
    text = get_view_description(view, html=False)
    if not html:
        return text
    paragraphs = (" ".join(p.split()) for p in PARAGRAPH_BREAK.split(text.strip()))
    return mark_safe("".join(f"<p>{LITERAL.sub(CODE, escape(p))}</p>" for p in paragraphs if p))
