"""Real Docker: layered images, warm rebuilds, history stripping, container limits."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest

from harness.instances.localrepo import git
from harness.sandbox.container import run_to_completion
from harness.sandbox.engine import run_containers
from harness.sandbox.images import ImageBuilder, _build_repo_with_future
from harness.sandbox.limits import Limits

pytestmark = pytest.mark.docker


def test_layers_are_hash_tagged_and_a_warm_rebuild_builds_nothing(
    docker_client, image_builder, mini_suite, mini_instance
):
    tag = image_builder.instance_image(mini_suite, mini_instance)
    assert tag.startswith("harness-inst.mini.calc__calc-1:")
    warm = ImageBuilder(docker_client)
    assert warm.instance_image(mini_suite, mini_instance) == tag
    assert warm.built == []
    # Any input change gives another tag: here the instance's gold patch.
    changed = dataclasses.replace(mini_instance, patch=mini_instance.patch + "\n")
    assert warm.instance_layer(mini_suite, changed).tag != tag


def test_history_past_base_commit_is_gone(image_builder, mini_suite, mini_instance,
                                          shell_in_image):
    # The repo as it is before stripping carries a fix commit, a tag, a branch and a remote.
    with tempfile.TemporaryDirectory() as tmp:
        source = mini_suite.resolve_path(mini_suite.image.repos_dir) / "calc"
        repo = Path(tmp) / "repo"
        _build_repo_with_future(source, repo, mini_instance)
        future = git(repo, "rev-parse", "v-next").strip()
        assert git(repo, "remote").strip() == "origin"
    image = image_builder.instance_image(mini_suite, mini_instance)
    out = shell_in_image(image, f"""
        cd /testbed
        echo "head=$(git rev-parse HEAD)"
        echo "refs=$(git for-each-ref --format='%(refname)' | tr '\\n' ' ')"
        echo "remotes=$(git remote | wc -l)"
        echo "reflog=$(git reflog --all | wc -l)"
        echo "commits=$(git rev-list --all | wc -l)"
        git cat-file -e {future} 2>/dev/null && echo "future=reachable" || echo "future=gone"
        echo "unreachable=$(git fsck --unreachable --no-reflogs 2>/dev/null | wc -l)"
        echo "status=$(git status --porcelain | wc -l)"
    """)
    facts = dict(line.split("=", 1) for line in out.split())
    assert facts == {
        "head": mini_instance.base_commit, "refs": "refs/heads/main", "remotes": "0",
        "reflog": "0", "commits": "1", "future": "gone", "unreachable": "0", "status": "0",
    }


def test_containers_have_no_network_and_carry_limits(image_builder, mini_suite, mini_instance,
                                                     shell_in_image):
    image = image_builder.instance_image(mini_suite, mini_instance)
    out = shell_in_image(image, """
        echo "net=$(ls /sys/class/net | tr '\\n' ',')"
        echo "pids=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)"
        echo "mem=$(cat /sys/fs/cgroup/memory.max 2>/dev/null \
                    || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
    """)
    facts = dict(line.split("=", 1) for line in out.split())
    assert facts == {"net": "lo,", "pids": "1024", "mem": str(4 * 1024**3)}


def test_deadline_kills_and_every_container_is_removed(docker_client, image_builder,
                                                       mini_suite, mini_instance, run_id):
    image = image_builder.instance_image(mini_suite, mini_instance)
    outcome = run_to_completion(
        docker_client, image, ["sleep", "600"], inputs={}, inputs_dir="/tmp",
        collect_dir="/tmp/none", timeout=2, run_id=run_id, instance_id="sleeper",
        limits=Limits(cpus=0.5, memory="256m", pids=64),
    )
    assert outcome.timed_out and outcome.exit_code is None
    assert outcome.seconds < 30
    left = run_containers(docker_client, run_id)
    assert left == []
