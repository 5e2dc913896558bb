"""Test support shipped with the harness: a loopback model server (`harness serve-fake`)."""

from harness.testing.fake_server import FakeModelServer
from harness.testing.recorded_request import RecordedRequest
from harness.testing.script import Reply, default_reply, load_script

__all__ = ["FakeModelServer", "RecordedRequest", "Reply", "default_reply", "load_script"]
