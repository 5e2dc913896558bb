"""Variants are data: the shipped file, user additions, URL and key resolution."""

from __future__ import annotations

import os
import subprocess
import sys

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


@pytest.mark.parametrize(("body", "message"), [
    ('model = "m"\ntemperature = "hot"\n', "temperature: expected a number, got 'hot'"),
    ('model = "m"\nthinking = "yes"\n', "thinking: expected true or false, got 'yes'"),
    ('model = "m"\nmax_completion_tokens = 1.5\n',
     "max_completion_tokens: expected an integer, got 1.5"),
    ('model = "m"\nextra_body = "x"\n', "extra_body: expected a table, got 'x'"),
    ('model = "m"\ncolour = "red"\n', "unknown key(s) ['colour']; known: ['api_key_env', "),
    ('model = "m"\nname = "other"\n', "unknown key(s) ['name']"),  # the table's name is it
    ("thinking = true\n", "missing key 'model' (expected a string)"),
])
def test_variant_files_are_typed(tmp_path, body, message):
    path = write(tmp_path, f'[variants."k9"]\n{body}')
    with pytest.raises(ModelConfigError) as info:
        load_variants(path)
    assert str(info.value).startswith(f"{path} [variants.'k9']: ")
    assert message in str(info.value)


def test_a_bad_user_variants_file_stops_models_check_with_one_line(tmp_path):
    """The issue's case: `temperature = "hot"` used to load, then crash `models check` with
    a TypeError traceback."""
    user = tmp_path / "mine.toml"
    user.write_text('[variants."hot"]\nmodel = "kimi-k2.6"\ntemperature = "hot"\n')
    for command in (["models", "check", "--variants", "hot"], ["models", "list"],
                    ["run", "--suite", "starter", "--variants", "hot", "--plan"]):
        proc = subprocess.run(
            [sys.executable, "-m", "harness.cli", *command, "--results-dir", str(tmp_path)]
            if command[0] == "run" else [sys.executable, "-m", "harness.cli", *command],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "HARNESS_VARIANTS": str(user), "RUNAPI_API_KEY": "unused"})
        assert proc.returncode == 2, (command, proc.stderr)
        assert proc.stderr == (f"error: {user} [variants.'hot']: temperature: expected a "
                               "number, got 'hot'\n"), command
