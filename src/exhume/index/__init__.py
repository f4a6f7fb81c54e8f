"""The package-index client: project pages from the user's index, and member reads from remote wheels.

The index URL always comes from the user's pip configuration or pip's own default (:func:`index_url`); no
registry host is named in exhume's code.
"""

from __future__ import annotations

from exhume.index.client import IndexClient, default_cache_dir
from exhume.index.config import index_url
from exhume.index.records import DistFile, Project, parse_project_html, parse_project_json
from exhume.index.remotezip import RemoteZip

__all__ = [
    "DistFile",
    "IndexClient",
    "Project",
    "RemoteZip",
    "default_cache_dir",
    "index_url",
    "parse_project_html",
    "parse_project_json",
]
