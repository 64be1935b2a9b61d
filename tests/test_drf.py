"""async_handler.drf's APIView, @api_view and policy classes, through Django's own handlers:
WSGI (test Client) and ASGI (AsyncClient).

Each test runs under both, since the DRF layer must work under any server Django
supports. tests/test_drf_viewsets.py covers viewsets, generics and routers,
tests/test_drf_crossings.py thread crossings, tests/test_drf_worker.py our worker.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.urls import resolve
from rest_framework.authtoken.models import Token

from tests.drf_app.models import Note
from tests.drf_app.policies import THREADS
from tests.drf_app.testing import Api, as_user

# Every test here starts and ends with no users, notes or cached policies.
pytestmark = pytest.mark.usefixtures("drf_clean")


# 1. APIView


def test_async_handler_is_awaited_and_sync_handler_runs_in_a_thread(api: Api) -> None:
    assert api.get("/drf/mixed-view/").json() == {"handler": "async", "on_loop": True}
    head = api.request("HEAD", "/drf/mixed-view/")
    assert (head.status_code, head.content) == (200, b"")
    reply = api.post("/drf/mixed-view/", {"x": 1})
    assert reply.json() == {"handler": "sync", "on_loop": False, "data": {"x": 1}}


def test_exception_in_handler_uses_exception_handler_that_queries_the_db(api: Api) -> None:
    reply = api.get("/drf/failing/")
    assert reply.status_code == 404
    assert reply.json()["detail"] == "gone"
    assert isinstance(reply.json()["users"], int)  # the handler's own query ran
    reply = api.post("/drf/failing/", {})
    assert reply.status_code == 400
    assert reply.json()["title"] == ["required"]


def test_uncaught_exception_is_a_500(api: Api) -> None:
    assert api.request("PUT", "/drf/mixed-view/").status_code == 500


def test_method_not_allowed(api: Api) -> None:
    reply = api.request("DELETE", "/drf/mixed-view/")
    assert reply.status_code == 405
    assert reply.json()["detail"] == 'Method "DELETE" not allowed.'
    assert set(reply["Allow"].split(", ")) == {"GET", "HEAD", "POST", "PUT", "OPTIONS"}


def test_options_metadata_with_async_authentication(api: Api, alice: Any) -> None:
    anonymous = api.request("OPTIONS", "/drf/notes/")
    assert anonymous.status_code == 200
    assert anonymous.json()["name"] == "Note List"
    assert "actions" not in anonymous.json()  # POST is not permitted to anonymous users
    reply = api.request("OPTIONS", "/drf/notes/", headers=as_user(alice))
    assert reply.status_code == 200
    assert set(reply.json()["actions"]["POST"]) == {"id", "title", "body", "owner", "tags"}


def test_options_is_refused_by_an_async_permission(api: Api, alice: Any) -> None:
    assert api.request("OPTIONS", "/drf/or/", headers=as_user(alice)).status_code == 403
    allowed = api.request("OPTIONS", "/drf/or/", headers={**as_user(alice), "X-Allow": "yes"})
    assert allowed.status_code == 200


def test_authentication_failures_answer_401_or_403(api: Api, alice: Any) -> None:
    reply = api.get("/drf/whoami/")
    assert reply.status_code == 401
    assert reply["WWW-Authenticate"] == "Token"
    assert api.get("/drf/whoami/", headers={"Authorization": "Token nope"}).json() == {
        "detail": "Invalid token."
    }
    assert api.get("/drf/session-only/").status_code == 403  # no WWW-Authenticate to offer
    reply = api.get("/drf/async-policies/", headers={"X-Async-User": "drf-nobody"})
    assert reply.status_code == 401
    assert reply["WWW-Authenticate"] == "AsyncUser"


def test_sync_throttle_answers_429_with_retry_after(api: Api, alice: Any) -> None:
    token = Token.objects.create(user=alice)
    headers = {"Authorization": f"Token {token.key}", "X-Throttle-Key": uuid.uuid4().hex}
    assert [api.get("/drf/policies/", headers=headers).status_code for _ in range(2)] == [200, 200]
    reply = api.get("/drf/policies/", headers=headers)
    assert reply.status_code == 429
    assert 0 < int(reply["Retry-After"]) <= 60


def test_async_throttle_answers_429(api: Api) -> None:
    assert api.get("/drf/function-throttled/").status_code == 200
    reply = api.get("/drf/function-throttled/", headers={"X-Async-Throttle": "1"})
    assert reply.status_code == 429
    assert reply["Retry-After"] == "7"


def test_multipart_body_is_parsed_off_the_loop(api: Api) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("n.txt", b"file body")
    reply = api.post_multipart("/drf/upload/", {"title": "t", "file": upload})
    assert reply.json() == {"fields": {"title": "t"}, "file": "file body", "parsed_on_loop": False}
    assert api.post("/drf/upload/", {"title": "j"}).json()["fields"] == {"title": "j"}


# 2. @api_view


def test_api_view_on_async_and_sync_functions(api: Api) -> None:
    assert iscoroutinefunction(resolve("/drf/function/").func)
    assert not iscoroutinefunction(resolve("/drf/function-sync/").func)
    reply = api.post("/drf/function/", {"a": 1}, headers={"X-Allow": "yes"})
    assert reply.json() == {"method": "POST", "data": {"a": 1}, "on_loop": True}
    denied = api.get("/drf/function/")
    assert (denied.status_code, denied.json()["detail"]) == (403, "missing X-Allow")
    assert api.get("/drf/function-sync/").json() == {"on_loop": False}


# 3. Authentication, permissions, throttles


def test_session_auth_user_is_resolved_before_async_handler(api: Api, alice: Any) -> None:
    api.force_login(alice)
    reply = api.get("/drf/session-only/")
    assert reply.status_code == 200, reply.content
    assert reply.json() == {"user": alice.username, "auser": alice.username,
                            "django_user": alice.username, "auth": "SessionAuthentication"}


def test_session_auth_enforces_csrf(alice: Any, api: Api) -> None:
    strict = Api(api.kind, enforce_csrf_checks=True)
    strict.force_login(alice)
    refused = strict.post("/drf/session-only/", {"a": 1})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    token = "a" * 32
    strict.client.cookies["csrftoken"] = token
    accepted = strict.post("/drf/session-only/", {"a": 1}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200 and accepted.json() == {"received": {"a": 1}}


def test_token_auth(api: Api, alice: Any) -> None:
    token = Token.objects.create(user=alice)
    reply = api.get("/drf/whoami/", headers={"Authorization": f"Token {token.key}"})
    assert reply.json()["auth"] == "TokenAuthentication"
    assert reply.json()["user"] == alice.username


def test_async_authentication_permission_and_throttle(api: Api, alice: Any) -> None:
    reply = api.get("/drf/async-policies/", headers=as_user(alice))
    assert reply.json() == {"user": alice.username, "auth": "async-header"}


def test_sync_view_with_async_policy_classes(api: Api, alice: Any) -> None:
    assert not iscoroutinefunction(resolve("/drf/sync-async-policies/").func)
    allowed = {**as_user(alice), "X-Allow": "yes"}
    reply = api.get("/drf/sync-async-policies/", headers=allowed)
    assert reply.json() == {"user": alice.username, "on_loop": False}
    assert api.get("/drf/sync-async-policies/", headers=as_user(alice)).status_code == 403
    throttled = api.get("/drf/sync-async-policies/", headers={**allowed, "X-Async-Throttle": "1"})
    assert (throttled.status_code, throttled["Retry-After"]) == (429, "7")


@pytest.mark.parametrize(("path", "headers", "status"), [
    ("/drf/deny/", {}, 403),
    ("/drf/or/", {}, 403),             # AsyncDeny | AsyncHeaderPermission
    ("/drf/or/", {"X-Allow": "yes"}, 200),
    ("/drf/and/", {}, 403),            # AsyncAllow & AsyncHeaderPermission
    ("/drf/and/", {"X-Allow": "yes"}, 200),
    ("/drf/not/", {}, 200),            # ~AsyncDeny
    ("/drf/not-allow/", {}, 403),      # ~AsyncAllow
])
def test_async_permission_composition(api: Api, alice: Any, path: str,
                                      headers: dict[str, str], status: int) -> None:
    assert api.get(path, headers={**as_user(alice), **headers}).status_code == status


def test_async_permission_message(api: Api, alice: Any) -> None:
    assert api.get("/drf/deny/", headers=as_user(alice)).json() == {"detail": "async says no"}


def test_async_object_permission_in_aget_object(api: Api, alice: Any, bob: Any) -> None:
    note = Note.objects.create(title="mine", owner=alice)
    url = f"/drf/owned-notes/{note.pk}/"
    assert api.get(url, headers=as_user(alice)).status_code == 200
    denied = api.get(url, headers=as_user(bob))
    assert (denied.status_code, denied.json()) == (403, {"detail": "not your note"})
    assert api.request("DELETE", url, headers=as_user(bob)).status_code == 403
    assert Note.objects.filter(pk=note.pk).exists()


def test_sync_object_permission_in_aget_object(api: Api) -> None:
    note = Note.objects.create(title="any")
    denied = api.get(f"/drf/sync-object-denied/{note.pk}/")
    assert (denied.status_code, denied.json()) == (403, {"detail": "sync object check says no"})
    assert THREADS["object_permission"]


def test_awaited_check_object_permissions_with_async_permission(
    api: Api, alice: Any, bob: Any
) -> None:
    note = Note.objects.create(title="mine", owner=alice)
    assert api.get(f"/drf/manual-check/{note.pk}/", headers=as_user(alice)).status_code == 200
    assert api.get(f"/drf/manual-check/{note.pk}/", headers=as_user(bob)).status_code == 403


def test_forgotten_await_on_check_object_permissions_fails_the_request(
    api: Api, bob: Any
) -> None:
    note = Note.objects.create(title="not bob's")
    reply = api.get(f"/drf/forgotten-await/{note.pk}/", headers=as_user(bob))
    assert reply.status_code == 500
