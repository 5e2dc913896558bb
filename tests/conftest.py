"""Shared fixtures. Docker-backed fixtures skip when no engine answers, except under CI=true,
where a missing engine is a loud failure: CI must never pass by skipping the real thing."""

from __future__ import annotations

import uuid
from pathlib import Path

import docker
import pytest

from harness.evaluation.runner import Evaluator
from harness.instances.loaders import load_instances
from harness.instances.localrepo import build_git_repo, git
from harness.instances.model import Instance
from harness.sandbox.container import run_to_completion
from harness.sandbox.engine import EngineUnavailable, connect, remove_containers
from harness.sandbox.images import ImageBuilder
from harness.suites import Suite, load_suite
from harness.testing.calc_repo import make_repo
from harness.testing.ci import IN_CI


@pytest.fixture(autouse=True)
def _private_price_cache(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own user cache ($HARNESS_CACHE): a price refresh in a test never
    writes to, or reads from, the user's ~/.cache/harness."""
    cache = tmp_path_factory.mktemp("harness-cache")
    monkeypatch.setenv("HARNESS_CACHE", str(cache))
    return cache


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    try:
        return connect()
    except EngineUnavailable as exc:
        if IN_CI:
            pytest.fail(f"CI=true but no Docker engine answers: {exc}", pytrace=False)
        pytest.skip(f"no Docker engine: {exc}")


@pytest.fixture(scope="session")
def image_builder(docker_client: docker.DockerClient) -> ImageBuilder:
    return ImageBuilder(docker_client)


@pytest.fixture
def run_id(docker_client: docker.DockerClient):
    """A fresh run id; whatever containers it labels are removed after the test."""
    rid = f"test-{uuid.uuid4().hex[:10]}"
    yield rid
    remove_containers(docker_client, rid)


MINI_SUITE = Path(__file__).parent / "fixtures" / "mini" / "suite.toml"


@pytest.fixture(scope="session")
def mini_suite() -> Suite:
    return load_suite(str(MINI_SUITE))


@pytest.fixture(scope="session")
def mini_instance(mini_suite: Suite) -> Instance:
    (instance,) = load_instances(mini_suite).instances
    return instance


@pytest.fixture
def evaluator(mini_suite, docker_client, image_builder, run_id) -> Evaluator:
    return Evaluator(mini_suite, docker_client, image_builder, run_id)


@pytest.fixture
def shell_in_image(docker_client, run_id):
    """Run a bash script in a fresh container of an image; return what it printed."""

    def run(image: str, script: str) -> str:
        command = ["bash", "-c", f"mkdir -p /tmp/out; ( {script} ) > /tmp/out/stdout 2>&1"]
        outcome = run_to_completion(
            docker_client, image, command, inputs={}, inputs_dir="/tmp", collect_dir="/tmp/out",
            timeout=60, run_id=run_id, instance_id="shell",
        )
        return outcome.files.get("stdout", b"").decode()

    return run


@pytest.fixture(scope="session")
def make_patch(mini_suite, tmp_path_factory):
    """Diff of the mini repo after `edits` (path -> new content, or None to delete), made by
    real git, so tests never hand-write hunk headers."""
    source = mini_suite.resolve_path(mini_suite.image.repos_dir) / "calc"

    def make(edits: dict[str, str | None]) -> str:
        repo = tmp_path_factory.mktemp("patch") / "repo"
        build_git_repo(source, repo)
        for path, content in edits.items():
            target = repo / path
            if content is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content)
        git(repo, "add", "-A", "-N", ".")
        return git(repo, "diff")

    def read(path: str) -> str:
        return (source / path).read_text()

    make.read = read
    return make


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh git repository of harness.testing.calc_repo's calculator package."""
    return make_repo(tmp_path / "repo")
