"""Images in layers (base -> per-repo environment -> per instance), each tagged by a hash of
its inputs, so a warm rebuild finds every tag present and builds nothing."""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from harness.instances.images import ImageNameError, image_name
from harness.instances.localrepo import build_git_repo, commit_patch, git
from harness.instances.model import Instance
from harness.sandbox.engine import DOCKER_DIR
from harness.suites import Suite

log = logging.getLogger(__name__)

STRIP_SCRIPT = DOCKER_DIR / "strip-history.sh"
BASE_DIR = DOCKER_DIR / "base"
# The `base_from` that builds the base image locally with debootstrap (no registry): the default.
DEBOOTSTRAP = "debootstrap"
DEFAULT_BASE_FROM = DEBOOTSTRAP


class ImageBuildError(RuntimeError):
    """An image could not be built or obtained; the message names the layer."""


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:20]


def tree_digest(root: Path) -> str:
    """Hash of every file's path, executable bit and content under `root`."""
    parts: list[str | bytes] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in rel or rel.endswith(".pyc"):
            continue
        parts += [rel, str(path.stat().st_mode & 0o111), path.read_bytes()]
    return digest(*parts)


@dataclass(frozen=True)
class Layer:
    """One image: its name, the inputs that determine its tag, and how to write its context.

    `write_context(dir)` fills a build directory and returns the Dockerfile text; it runs only
    when the tagged image is missing, so expensive preparation costs nothing on a warm run.
    """

    name: str
    inputs: tuple[str, ...]
    write_context: Callable[[Path], str]
    network: bool = False

    @property
    def tag(self) -> str:
        return f"{self.name}:{digest(*self.inputs)}"


class ImageBuilder:
    """Makes sure layers exist, building each at most once even when many threads ask."""

    def __init__(self, client: docker.DockerClient, base_from: str = DEFAULT_BASE_FROM) -> None:
        self.client = client
        self.base_from = base_from
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.built: list[str] = []  # tags built by this builder (a warm run leaves it empty)
        self._source_digests: dict[Path, str] = {}  # a repo source's tree_digest, hashed once

    # -- public -------------------------------------------------------------------------
    def instance_image(self, suite: Suite, instance: Instance) -> str:
        """Tag of the image an instance is evaluated (and worked on) in, built if missing."""
        layer = self.instance_layer(suite, instance)
        self.ensure(layer)
        return layer.tag

    def unobtainable(self, suite: Suite, instance: Instance) -> str | None:
        """Why the image `instance` runs in can be neither found nor built, checked without
        building or pulling anything (a run's preflight); None when it can be had. A prebuilt
        image must be present or known to its registry; a built one needs its bundled source,
        and a base that is present, or debootstrapped (which installs what it needs), or
        pulled from a registry that has it."""
        try:
            if suite.image.mode == "prebuilt":
                return self._not_present_nor_pullable(image_name(suite, instance))
            self._repo_source(suite, instance.repo)
        except (ImageNameError, ImageBuildError) as exc:
            return str(exc)
        if self.base_from == DEBOOTSTRAP or self._exists(self.base_layer().tag):
            return None
        return self._not_present_nor_pullable(self.base_from)

    def _not_present_nor_pullable(self, name: str) -> str | None:
        if self._exists(name):
            return None
        try:
            self.client.images.get_registry_data(name)
        except docker.errors.DockerException as exc:
            return f"image {name} is not present locally and its registry cannot provide it ({exc})"
        return None

    def instance_layer(self, suite: Suite, instance: Instance) -> Layer:
        """The image an agent works in: the history layer with every ref but base_commit
        stripped (docker/strip-history.sh)."""
        if suite.image.mode == "prebuilt":
            parent = image_name(suite, instance)
            source_inputs: tuple[str, ...] = (parent, self.present_or_pull(parent))
        else:
            parent = self.ensure(self.history_layer(suite, instance))
            source_inputs = (parent,)
        workdir = suite.image.workdir
        strip = STRIP_SCRIPT.read_text()

        def write(ctx: Path) -> str:
            shutil.copy(STRIP_SCRIPT, ctx / "strip-history.sh")
            return (
                f"FROM {parent}\n"
                "COPY strip-history.sh /tmp/strip-history.sh\n"
                f"RUN bash /tmp/strip-history.sh {workdir} {instance.base_commit} "
                "&& rm /tmp/strip-history.sh\n"
                f"WORKDIR {workdir}\n"
            )

        name = "harness-inst." + _docker_safe(f"{suite.name}.{instance.instance_id}")
        inputs = (*source_inputs, strip, workdir, instance.base_commit)
        return Layer(name, inputs, write)

    def history_layer(self, suite: Suite, instance: Instance) -> Layer:
        """A built suite's repo at base_commit with the future a real image carries (the fix
        commit on a branch and a tag, a remote): graders that check files out of the history
        (SWE-bench Pro's before_repo_set_cmd) run here. A repo with a package-lock.json gets
        its node_modules installed on the host (`npm ci`), so the image needs no network."""
        parent = self.ensure(self.env_layer(suite, instance.repo))
        repo_dir = self._repo_source(suite, instance.repo)
        workdir = suite.image.workdir

        def write(ctx: Path) -> str:
            _build_repo_with_future(repo_dir, ctx / "repo", instance)
            if (repo_dir / "package-lock.json").is_file():
                _npm_install(ctx / "repo")
            return f"FROM {parent}\nCOPY repo {workdir}\nWORKDIR {workdir}\n"

        name = "harness-hist." + _docker_safe(f"{suite.name}.{instance.instance_id}")
        inputs = (parent, self._source_digest(repo_dir), instance.patch, instance.test_patch,
                  workdir)
        return Layer(name, inputs, write)

    def env_layer(self, suite: Suite, repo: str) -> Layer:
        base = self.ensure(self.base_layer())
        packages = " ".join((*suite.image.env_packages, *suite.image.repo_packages.get(repo, ())))
        install = (
            f"RUN apt-get update -qq && apt-get install -y -qq {packages} "
            "&& rm -rf /var/lib/apt/lists/*\n" if packages else ""
        )
        dockerfile = (
            f"FROM {base}\n{install}ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\n"
            f"RUN git config --system --add safe.directory '*' "
            f"&& git config --system user.email harness@localhost "
            f"&& git config --system user.name harness\n"
            f"WORKDIR {suite.image.workdir}\n"
        )
        name = "harness-env." + _docker_safe(f"{suite.name}.{repo}")
        return Layer(name, (dockerfile,), lambda ctx: dockerfile, network=bool(packages))

    def base_layer(self) -> Layer:
        packages = (BASE_DIR / "packages.txt").read_text()
        if self.base_from == DEBOOTSTRAP:
            script = (BASE_DIR / "build-rootfs.sh").read_text()
            return Layer("harness-base", ("debootstrap", packages, script), _no_context)
        # A pulled Debian image, for machines where a registry is reachable.
        names = " ".join(ln for ln in packages.splitlines() if ln and not ln.startswith("#"))
        dockerfile = (
            f"FROM {self.base_from}\nRUN apt-get update -qq && apt-get install -y -qq "
            f"--no-install-recommends {names} && rm -rf /var/lib/apt/lists/*\n"
        )
        return Layer("harness-base", ("pull", dockerfile), lambda ctx: dockerfile, network=True)

    def ensure(self, layer: Layer) -> str:
        """Return the layer's tag, building it first if no image carries that tag."""
        tag = layer.tag
        with self._guard:
            lock = self._locks.setdefault(tag, threading.Lock())
        with lock:
            if self._exists(tag):
                return tag
            log.info("building %s", tag)
            if layer.name == "harness-base" and self.base_from == DEBOOTSTRAP:
                self._import_rootfs(tag)
            else:
                self._build(layer, tag)
            self.built.append(tag)
        return tag

    # -- private ------------------------------------------------------------------------
    def _exists(self, tag: str) -> bool:
        try:
            self.client.images.get(tag)
            return True
        except docker.errors.ImageNotFound:
            return False

    def present_or_pull(self, name: str) -> str:
        try:
            return self.client.images.get(name).id
        except docker.errors.ImageNotFound:
            pass
        try:
            return self.client.images.pull(name).id
        except docker.errors.DockerException as exc:
            raise ImageBuildError(
                f"image {name} is not present locally and could not be pulled ({exc})"
            ) from exc

    def _build(self, layer: Layer, tag: str) -> None:
        with tempfile.TemporaryDirectory(prefix="harness-ctx-") as tmp:
            ctx = Path(tmp)
            (ctx / "Dockerfile").write_text(layer.write_context(ctx))
            try:
                self.client.images.build(
                    path=str(ctx), tag=tag, rm=True, forcerm=True, pull=False,
                    # host: this engine may have no default bridge; builds that need a
                    # network (apt) reach the mirror the host reaches
                    network_mode="host" if layer.network else "none",
                    labels={"harness.layer": layer.name},
                )
            except docker.errors.BuildError as exc:
                tail = "".join(str(c.get("stream", c.get("error", ""))) for c in exc.build_log)
                raise ImageBuildError(f"building {tag} failed: {exc}\n{tail[-2000:]}") from exc
            except docker.errors.APIError as exc:
                raise ImageBuildError(f"building {tag} failed: {exc}") from exc

    def _import_rootfs(self, tag: str) -> None:
        with tempfile.TemporaryDirectory(prefix="harness-rootfs-", dir="/var/tmp") as tmp:
            tar = Path(tmp) / "rootfs.tar"
            proc = subprocess.run(
                ["bash", str(BASE_DIR / "build-rootfs.sh"), str(tar)],
                capture_output=True, text=True,
            )
            if proc.returncode != 0:
                raise ImageBuildError(
                    f"debootstrap of the base image failed:\n{proc.stderr[-3000:]}")
            repository, _, version = tag.partition(":")
            self.client.api.import_image_from_file(
                str(tar), repository=repository, tag=version,
                changes=['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
                         'ENV LANG=C.UTF-8', 'CMD ["bash"]'],
            )

    def _source_digest(self, repo_dir: Path) -> str:
        """`tree_digest` of a bundled repo source, computed once per builder (every instance
        of a repo hashes the same tree)."""
        known = self._source_digests.get(repo_dir)  # two threads may both hash it: harmless
        if known is None:
            known = self._source_digests[repo_dir] = tree_digest(repo_dir)
        return known

    def _repo_source(self, suite: Suite, repo: str) -> Path:
        root = suite.resolve_path(suite.image.repos_dir)
        source = root / repo.split("/")[-1]
        if not source.is_dir():
            raise ImageBuildError(f"suite {suite.name}: no bundled source for {repo} at {source}")
        return source


def _no_context(ctx: Path) -> str:
    raise AssertionError("the debootstrap base is imported, not built from a Dockerfile")


def _docker_safe(text: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in text.lower())
    return safe.strip(".-")[:120]


def _build_repo_with_future(source: Path, dest: Path, instance: Instance) -> None:
    """The repo at base_commit, carrying the 'future' a real image carries: the fix commit on a
    branch and a tag, a remote, and reflog entries. strip-history.sh must remove all of it."""
    sha = build_git_repo(source, dest)
    if sha != instance.base_commit:
        raise ImageBuildError(
            f"{instance.instance_id}: bundled source builds commit {sha}, "
            f"but the instance says base_commit {instance.base_commit}"
        )
    git(dest, "checkout", "-q", "-b", "upstream-fix")
    both = instance.patch.rstrip("\n") + "\n" + instance.test_patch
    fix = commit_patch(dest, both, "Fix the reported issue")
    git(dest, "tag", "v-next", fix)
    git(dest, "checkout", "-q", "main")
    git(dest, "remote", "add", "origin", f"https://example.invalid/{instance.repo}.git")


def _npm_install(repo: Path) -> None:
    """node_modules from the repo's lockfile, installed on the host (the registry is reached
    from here, never from a container); they stay untracked, as in a real image."""
    proc = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                          cwd=repo, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ImageBuildError(f"npm ci in {repo.name} failed:\n{proc.stderr[-2000:]}")


def tar_bytes(files: dict[str, bytes], gzip: bool = False) -> bytes:
    """A tar archive of `files` (name -> content)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gzip else "w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o755 if name.endswith(".sh") else 0o644
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def eval_image(builder: ImageBuilder, suite: Suite, instance: Instance,
               history: bool = False) -> str:
    """The image a patch is graded in. A prebuilt image is used as it is, history included
    (SWE-bench Pro's test setup checks files out of it). A built suite grades in its stripped
    instance image, or with `history` (a test setup that checks files out of the fix commit)
    in the history layer: code under test could read the fix from there, so only what needs
    it gets it."""
    if suite.image.mode == "prebuilt":
        name = image_name(suite, instance)
        builder.present_or_pull(name)
        return name
    if history:
        return builder.ensure(builder.history_layer(suite, instance))
    return builder.instance_image(suite, instance)
