"""The benchmark's synthetic vendor stays valid, so `make bench` cannot rot silently.

Nothing here measures time or memory: that happens only in `python -m tests.bench`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from extranet.building import validate
from tests import bench


def test_synthetic_vendor_validates(tmp_path: Path) -> None:
    project = bench.generate(tmp_path / "extranet", 5)

    extranet = validate(project.config_file)

    assert len(extranet.customers) == 5
    assert len(extranet.releases) == bench.releases_for(5) == project.releases
    assert all(len(customer.users) == 2 for customer in extranet.customers)
    assert {customer.installed_version for customer in extranet.customers} <= {r.version for r in extranet.releases}
    assert set(extranet.guides) == {r.version for r in extranet.releases if r.kind == "major"}


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = bench.generate(tmp_path / "a", 5)
    second = bench.generate(tmp_path / "b", 5)

    assert (first.root / "customers.yaml").read_text(encoding="utf-8") == \
        (second.root / "customers.yaml").read_text(encoding="utf-8")
    assert sorted(p.name for p in (first.root / "releases").iterdir()) == \
        sorted(p.name for p in (second.root / "releases").iterdir())


def test_plain_baseline_has_the_generated_pages(tmp_path: Path) -> None:
    project = bench.generate(tmp_path / "extranet", 5)

    markdown_pages, generated = bench.write_plain(project, tmp_path / "plain")

    docs = tmp_path / "plain" / "docs"
    # per language: home, releases, timeline, support, staff and login, then a page per release and customer
    assert generated == len(bench.LANGUAGES) * (6 + project.releases + project.customers)
    assert markdown_pages == sum(1 for _ in docs.rglob("*.md")) == \
        generated + sum(1 for _ in (project.root / "content").rglob("*.md"))
    config = yaml.safe_load((tmp_path / "plain" / "mkdocs.yml").read_text(encoding="utf-8"))
    assert "extranet" not in str(config["plugins"])
    nav_files = [item for entry in config["nav"]
                 for item in ([entry] if isinstance(entry, str) else next(iter(entry.values())))]
    assert all((docs / item).is_file() for item in nav_files)


def test_the_baseline_builds_in_strict_mode(tmp_path: Path) -> None:
    """The plain side has every file the generated pages link to (calendars, feeds): a link it
    lacked would abort `make bench` in strict mode."""
    project = bench.generate(tmp_path / "extranet", 3)
    pages, generated = bench.write_plain(project, tmp_path / "plain")
    assert generated and pages > generated
    assert (tmp_path / "plain/docs/cs/releases/feed.atom").exists()
    run = bench.build(tmp_path / "plain/mkdocs.yml")
    assert run.html_pages >= pages


def test_the_baseline_has_the_widgets_in_its_markdown(tmp_path: Path) -> None:
    """Customer pages keep their HTML blocks and plan section out of the Markdown (widgets); the
    baseline puts them back, so plain MkDocs builds the same final pages."""
    project = bench.generate(tmp_path / "extranet", 3)
    pages = bench.generated_pages(project)
    customer = next(page for page in pages if page.audience == "customer" and page.widgets)
    assert 'data-extranet-widget="0"' in customer.markdown
    assert 'class="extranet-facts"' not in customer.markdown
    markdown_mib, html_mib = bench.generated_sizes(pages)
    assert markdown_mib > 0 and html_mib > 0

    bench.write_plain(project, tmp_path / "plain", pages)

    plain = (tmp_path / "plain/docs" / customer.path).read_text(encoding="utf-8")
    assert "data-extranet-widget" not in plain
    assert 'class="extranet-facts"' in plain
    assert all(widget.content in plain for widget in customer.widgets)
