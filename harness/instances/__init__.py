"""Benchmark instances: reading a suite's rows, normalising them, choosing which to run."""

from harness.instances.errors import RowError, SourceUnavailable
from harness.instances.images import ImageNameError, image_fields, image_name
from harness.instances.loaders import (
    LoadResult,
    load_instances,
    read_dir_rows,
    read_hub_rows,
    read_rows,
)
from harness.instances.model import Instance, RowOrigin
from harness.instances.select import SelectionError, select_instances, selection_kwargs

__all__ = [
    "ImageNameError",
    "Instance",
    "LoadResult",
    "RowError",
    "RowOrigin",
    "SelectionError",
    "SourceUnavailable",
    "image_fields",
    "image_name",
    "load_instances",
    "read_dir_rows",
    "read_hub_rows",
    "read_rows",
    "select_instances",
    "selection_kwargs",
]
