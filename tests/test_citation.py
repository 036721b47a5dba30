"""CITATION.cff is valid CFF 1.2.0 and names the package's version; the changelog has it."""

from __future__ import annotations

import datetime as dt
import re
from importlib.metadata import version
from pathlib import Path

import yaml

import reinforce

ROOT = Path(__file__).resolve().parents[1]

# The keys CFF 1.2.0 allows at the top level (schema.json, "properties").
CFF_KEYS = {
    "abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi",
    "identifiers", "keywords", "license", "license-url", "message", "preferred-citation",
    "references", "repository", "repository-artifact", "repository-code", "title", "type",
    "url", "version",
}  # fmt: skip


def cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def test_citation_is_cff_1_2_0() -> None:
    data = cff()
    assert data["cff-version"] == "1.2.0"
    assert set(data) <= CFF_KEYS, set(data) - CFF_KEYS
    for key in ("message", "title"):
        assert isinstance(data[key], str) and data[key].strip()
    assert data["type"] in {"software", "dataset"}
    assert data["authors"] and all(
        isinstance(a, dict) and ("name" in a or "family-names" in a)
        for a in data["authors"]
    )
    dt.date.fromisoformat(data["date-released"])  # a quoted YYYY-MM-DD string
    assert isinstance(data["date-released"], str)
    assert all(isinstance(k, str) for k in data["keywords"])


def test_citation_version_is_the_package_version() -> None:
    assert (
        cff()["version"] == reinforce.__version__ == version("reinforce-from-scratch")
    )


def test_changelog_names_the_version() -> None:
    text = (ROOT / "book" / "changelog.md").read_text()
    assert re.search(rf"^## {re.escape(reinforce.__version__)} ", text, re.M)
    assert "book/changelog" in (ROOT / "_toc.yml").read_text()
