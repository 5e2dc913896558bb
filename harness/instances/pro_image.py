"""SWE-bench Pro's image tag for a row that lacks `dockerhub_tag`, by the rule of the official
`helper_code/image_uri.py` (scaleapi/SWE-bench_Pro-os):

- `<owner>.<name>-<rest>`, where owner/name is the row's `repo` LOWER-CASED and `rest` is the
  instance id with every "instance_" removed, in its ORIGINAL case
  (`instance_NodeBB__NodeBB-0499...-vnan` -> `nodebb.nodebb-NodeBB__NodeBB-0499...`);
- a trailing "-vnan" is dropped from `rest`;
- element-hq/element-web rows use the name `element`, except the one instance
  `EXCEPTION_ID`, which keeps `element-web` and its "-vnan";
- the tag is cut to its first 128 characters (Docker's limit on tags).

The published images are `jefzda/sweap-images:<tag>`.
"""

from __future__ import annotations

IMAGE_REPOSITORY = "jefzda/sweap-images"
EXCEPTION_ID = "instance_element-hq__element-web-ec0f940ef0e8e3b61078f145f34dc40d1938e6c5-vnan"
MAX_TAG = 128
_NO_VERSION = "-vnan"


def official_image_tag(instance_id: str, repo: str) -> str:
    """The tag `helper_code/image_uri.py` gives (instance_id, repo); without the repository."""
    parts = repo.lower().split("/")
    if len(parts) != 2:
        raise ValueError(f"{instance_id}: repo {repo!r} is not owner/name")
    owner, name = parts
    rest = instance_id.replace("instance_", "")
    if instance_id == EXCEPTION_ID:
        name = "element-web"  # and the "-vnan" stays
    elif "element-hq" in repo.lower() and "element-web" in repo.lower():
        name = "element"
        rest = rest.removesuffix(_NO_VERSION)
    else:
        rest = rest.removesuffix(_NO_VERSION)
    return f"{owner}.{name}-{rest}"[:MAX_TAG]


def official_image(instance_id: str, repo: str, repository: str = IMAGE_REPOSITORY) -> str:
    return f"{repository}:{official_image_tag(instance_id, repo)}"


__all__ = ["EXCEPTION_ID", "IMAGE_REPOSITORY", "official_image", "official_image_tag"]
