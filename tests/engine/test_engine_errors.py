"""One error path: every failure of proxmoxer or requests leaves the engine as an engine error naming the node,
the method and the path with a readable reason; a write that raced another edit is reported as such."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakepve import FakeCluster, Fault
from pvecdk.engine import Client, Credentials, StorageSpec, TlsSettings, apply_storage, read_storage
from pvecdk.engine.client import readable
from pvecdk.errors import ApiError, ConcurrentEditError, EngineError, PvecdkError

TOKEN_ID = "root@pam!pvecdk"
SECRET = "11111111-2222-3333-4444-555555555555"
ROOT_PASSWORD = "s3cret-root"
ADDRESSES = {"pve1": "10.0.0.11", "pve2": "10.0.0.12"}


@pytest.fixture
def fake() -> Iterator[FakeCluster]:
    with FakeCluster(nodes=ADDRESSES, version="9.1", root_password=ROOT_PASSWORD, token_id=TOKEN_ID,
                     token_secret=SECRET, task_seconds=0.05) as cluster:
        yield cluster


def client(fake: FakeCluster, credentials: Credentials | None = None) -> Client:
    return Client({n: fake.endpoint(n) for n in ADDRESSES},
                  credentials or Credentials(token_id=TOKEN_ID, token_secret=SECRET),
                  TlsSettings(ca_file=str(fake.ca_file)), timeout_seconds=2.0, retries=1, backoff_seconds=0.01)


def test_a_wrong_password_is_an_api_error_naming_the_login(fake: FakeCluster) -> None:
    wrong = "not-the-root-password"
    with client(fake, Credentials(username="root@pam", password=wrong)) as c, pytest.raises(ApiError) as excinfo:
        c.get("pve1", "/version")
    err = excinfo.value
    assert type(err) is ApiError, "proxmoxer's AuthenticationError never leaves the engine"
    assert (err.node, err.method, err.path, err.status) == ("pve1", "POST", "/access/ticket", 401)
    assert wrong not in str(err) and "\n" not in str(err)
    assert err.__cause__ is None and err.__suppress_context__


def test_the_right_password_logs_in(fake: FakeCluster) -> None:
    with client(fake, Credentials(username="root@pam", password=ROOT_PASSWORD)) as c:
        assert c.get("pve1", "/version")["version"].startswith("9.1")


def test_a_malformed_token_in_the_environment_is_an_engine_error() -> None:
    with pytest.raises(EngineError) as excinfo:
        Credentials.from_env({"PROXMOX_VE_API_TOKEN": "root@pam-no-name-secret"})
    assert str(excinfo.value) == "PROXMOX_VE_API_TOKEN: an API token looks like user@realm!name=secret"
    assert isinstance(excinfo.value, PvecdkError)


def test_a_proxy_error_page_is_reduced_to_its_title_and_text(fake: FakeCluster) -> None:
    fake.fault("pve2", Fault.PROXY_ERROR, path="/cluster/status", times=None)
    with client(fake) as c, pytest.raises(ApiError) as excinfo:
        c.get("pve2", "/cluster/status")
    err = excinfo.value
    assert (err.node, err.method, err.path, err.status) == ("pve2", "GET", "/cluster/status", 502)
    assert err.message == "Bad Gateway: 502 Bad Gateway: nginx"
    assert err.errors == {}
    assert "<" not in str(err) and "b'" not in str(err)


@pytest.mark.parametrize(("body", "expected"), [
    (b"<!DOCTYPE html><html><head><title>Forbidden</title><style>p{}</style></head>"
     b"<body><h1>Forbidden</h1><p>Access denied by policy.</p><script>x()</script></body></html>",
     "Forbidden: Access denied by policy."),
    (b"<html><body>gateway timeout</body></html>", "gateway timeout"),
    ("Parameter verification failed.\n", "Parameter verification failed."),
    (b"\xff plain bytes", "\ufffd plain bytes"),
    ("x" * 400, "x" * 297 + "..."),
])
def test_readable(body: str | bytes, expected: str) -> None:
    assert readable(body) == expected


def rbd(**options: str) -> StorageSpec:
    return StorageSpec("ext", "rbd", options={"pool": "vm", "monhost": "10.9.0.1", **options})


def test_an_update_sends_the_digest_it_read(fake: FakeCluster) -> None:
    with client(fake) as c:
        apply_storage(c, "pve1", "ext", rbd())
        live = read_storage(c, "pve1", "ext")
        assert live is not None and live.digest
        before = len(fake.requests)
        apply_storage(c, "pve1", "ext", rbd(krbd="1"), previous=rbd())
    (put,) = [r for r in fake.requests[before:] if r.method == "PUT"]
    assert (put.path, put.params["digest"], put.params["krbd"]) == ("/storage/ext", live.digest, "1")


def test_a_concurrent_edit_is_reported_as_one(fake: FakeCluster) -> None:
    with client(fake) as c:
        apply_storage(c, "pve1", "ext", rbd())
        live = read_storage(c, "pve1", "ext")
        assert live is not None
        c.put("pve1", "/storage/ext", namespace="other")  # someone else, between our read and our write
        with pytest.raises(ConcurrentEditError) as excinfo:
            c.put("pve1", "/storage/ext", krbd=1, digest=live.digest)
        after = read_storage(c, "pve1", "ext")
    err = excinfo.value
    assert (err.node, err.method, err.path) == ("pve1", "PUT", "/storage/ext")
    assert "detected modified configuration" in err.message
    assert after is not None and "krbd" not in after.options, "nothing was written"
