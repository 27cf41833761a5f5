"""Console authentication: a refused token is final, the placeholder only on the development
manifest, and the seed's token resolution order (flag, manifest, COH_AUTH_TOKEN, COHSH_AUTH_TOKEN)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cohesix import CohesixError, TcpBackend
from cohesix import generated as g
from cohesix import secrets
from cohesix.backends.mock import MockBackend


def test_wrong_token_is_final(hive: MockBackend) -> None:
    with pytest.raises(CohesixError, match=r"authentication rejected: ERR AUTH reason=invalid-token\. ERR AUTH: set COH_AUTH_TOKEN"):
        TcpBackend("127.0.0.1", hive.hive.port, auth_token="wrong-token", max_retries=3)
    # One refused AUTH, not three: the console's lockout (3 in 60 s) was not reached.
    TcpBackend("127.0.0.1", hive.hive.port).close()


def test_placeholder_refused_outside_the_development_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(g, "DEVELOPMENT_MANIFEST", False)
    with pytest.raises(CohesixError, match="placeholder token 'changeme' .* is refused"):
        secrets.resolve_tcp_token("changeme")
    assert secrets.resolve_tcp_token("real-token").token == "real-token"
    monkeypatch.setattr(g, "DEVELOPMENT_MANIFEST", True)
    assert secrets.resolve_tcp_token("changeme").token == "changeme"


def test_token_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("COH_RTC_MANIFEST", "COH_MANIFEST", "COHESIX_MANIFEST", "COH_AUTH_TOKEN", "COHSH_AUTH_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    site = tmp_path / "site.toml"
    site.write_text('[console]\nauth_token = "from-manifest"\n')
    monkeypatch.setenv("COH_MANIFEST", str(site))
    monkeypatch.setenv("COH_AUTH_TOKEN", "from-env")
    assert secrets.resolve_tcp_token("explicit") == secrets.ResolvedToken("explicit", "--auth-token")
    assert secrets.resolve_tcp_token(None).source == f"manifest {site}"
    site.write_text("[console]\n")
    assert secrets.resolve_tcp_token(None) == secrets.ResolvedToken("from-env", "COH_AUTH_TOKEN")
    monkeypatch.delenv("COH_AUTH_TOKEN")
    monkeypatch.setenv("COHSH_AUTH_TOKEN", "env:MY_SECRET")
    monkeypatch.setenv("MY_SECRET", "dereferenced")
    assert secrets.resolve_tcp_token(None).token == "dereferenced"
    f = tmp_path / "tok"
    f.write_text("from-file\n")
    assert secrets.resolve_tcp_token(f"file:{f}").token == "from-file"
    with pytest.raises(CohesixError, match="file: references need an absolute path"):
        secrets.resolve_tcp_token("file:rel/tok")
    monkeypatch.delenv("MY_SECRET")
    with pytest.raises(CohesixError, match="MY_SECRET .* is not set"):
        secrets.resolve_tcp_token(None)
    monkeypatch.delenv("COHSH_AUTH_TOKEN")
    with pytest.raises(CohesixError, match=r"^ERR AUTH: set COH_AUTH_TOKEN \(or COHSH_AUTH_TOKEN\) or pass --auth-token\.$"):
        secrets.resolve_tcp_token(None)
    # A token never appears in an error message.
    monkeypatch.setattr(g, "DEVELOPMENT_MANIFEST", False)
    with pytest.raises(CohesixError) as e:
        secrets.resolve_tcp_token("changeme")
    assert "changeme'" in str(e.value) and json.dumps(str(e.value)).count("changeme") == 1
    assert os.environ.get("COH_AUTH_TOKEN") is None
