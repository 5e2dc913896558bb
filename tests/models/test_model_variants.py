"""Variants are data: the shipped file, user additions, URL and key resolution."""

from __future__ import annotations

import pytest

from harness.models import ModelConfigError, get_variant, load_variants, make_client
from harness.testing import Reply


def test_shipped_kimi_variants():
    k25, k26 = get_variant("k2.5"), get_variant("k2.6")
    assert (k25.model, k26.model) == ("kimi-k2.5", "kimi-k2.6")
    for v in (k25, k26):
        assert v.surface == "chat" and v.thinking and v.temperature == 1.0 and v.top_p == 0.95
        assert v.context_window == 262144 and v.max_completion_tokens == 16384
        assert v.price_table == "runapi-catalog"
    assert get_variant("k2.6-instant").temperature == 0.6
    assert get_variant("k2.6-messages").surface == "anthropic"


def test_unknown_variant_lists_known_ones():
    with pytest.raises(ModelConfigError, match=r"known variants: \[.*'k2.6'"):
        get_variant("k9")


def write(tmp_path, text: str):
    path = tmp_path / "variants.toml"
    path.write_text(text)
    return path


def test_user_file_adds_a_local_server_without_code(tmp_path, monkeypatch, fake_server):
    server = fake_server([Reply(text="from local")], api_key=None, models=["my-model"])
    path = write(tmp_path, f"""
[variants.local]
model = "my-model"
base_url = "{server.base_url}"
api_key_env = ""
send_thinking = false
thinking = false
price_table = ""
""")
    monkeypatch.setenv("HARNESS_VARIANTS", str(path))
    variants = load_variants()
    assert "k2.6" in variants and "local" in variants
    client = make_client(variants["local"])
    reply = client.complete([{"role": "user", "content": "hi"}])
    client.close()
    assert reply.content == "from local" and reply.cost.status == "unpriced"
    body = server.requests[0].body
    assert "thinking" not in body and "temperature" not in body
    assert "authorization" not in server.requests[0].headers


def test_bad_variant_files_name_the_problem(tmp_path):
    with pytest.raises(ModelConfigError, match=r"unknown key\(s\) \['temprature'\]"):
        load_variants(write(tmp_path, '[variants.x]\nmodel = "m"\ntemprature = 1.0\n'))
    with pytest.raises(ModelConfigError, match="missing key 'model'"):
        load_variants(write(tmp_path, "[variants.x]\nthinking = true\n"))
    # The allowed values as the type says them (was "surface must be one of ...").
    with pytest.raises(ModelConfigError, match="surface: expected one of 'chat', 'anthropic'"):
        load_variants(write(tmp_path, '[variants.x]\nmodel = "m"\nsurface = "grpc"\n'))


def test_base_url_precedence(monkeypatch):
    variant = get_variant("k2.6")
    assert variant.resolve_base_url() == "https://runapi.ai/v1"
    monkeypatch.setenv("RUNAPI_BASE_URL", "http://env.example/v1/")
    assert variant.resolve_base_url() == "http://env.example/v1"
    assert variant.resolve_base_url("http://flag.example/v1") == "http://flag.example/v1"


def test_key_from_environment_or_override(monkeypatch):
    variant = get_variant("k2.6")
    monkeypatch.setenv("RUNAPI_API_KEY", "from-env")
    assert variant.resolve_api_key() == "from-env"
    assert variant.resolve_api_key("explicit") == "explicit"


def test_messages_url_with_or_without_v1():
    variant = get_variant("k2.6-messages")
    for base in ("https://runapi.ai/v1", "https://runapi.ai"):
        client = make_client(variant, base_url=base, api_key="k")
        assert client.messages_url() == "https://runapi.ai/v1/messages"
        client.close()
