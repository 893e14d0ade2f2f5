"""The documentation: every relative link leads to a file of the repository, the README stays short.

The pages checked are ``README.md`` and ``docs/*.md``. A relative link is any markdown link or
image (``[text](target)``, ``![alt](target)``, ``[label]: target``) or HTML ``href``/``src``
whose target has no scheme; links inside code are not links. Its path must name a file inside
the repository, and its ``#fragment``, on a markdown page, one of that page's headings as
GitHub names them.
"""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README_MAX_LINES = 150

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+\"[^\"]*\")?\s*\)"
)
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.M)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def pages():
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def prose(text):
    """``text`` without its fenced code blocks and code spans."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(text):
    """Every link target in a markdown text, in order."""
    body = prose(text)
    found = []
    for pattern in (INLINE_LINK, REFERENCE, HTML_LINK):
        found += [(m.start(), m.group(1).strip("<>")) for m in pattern.finditer(body)]
    return [target for _, target in sorted(found)]


def slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    """The anchors of a markdown file's headings (repeated ones get -1, -2...)."""
    seen, result = {}, set()
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    for match in HEADING.finditer(text):
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def broken_links(page, root=ROOT):
    """(target, reason) for each relative link of ``page`` that leads nowhere."""
    broken, root = [], root.resolve()
    for target in links(page.read_text(encoding="utf-8")):
        if SCHEME.match(target) or target.startswith("//"):
            continue  # absolute: http(s), mailto...
        path_part, _, fragment = target.partition("#")
        path = (page.parent / unquote(path_part)).resolve() if path_part else page
        if root not in path.parents and path != root:
            broken.append((target, "outside the repository"))
            continue
        relative = path.relative_to(root).as_posix()
        if not path.is_file():
            broken.append((target, f"no file {relative}"))
            continue
        if fragment and path.suffix == ".md" and unquote(fragment) not in anchors(path):
            broken.append((target, f"no heading #{fragment} in {relative}"))
    return broken


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_a_file(page):
    assert broken_links(page) == []


def test_readme_is_a_newcomers_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES


def test_the_readme_and_the_index_lead_to_every_page():
    readme = {
        (ROOT / t.partition("#")[0]).resolve() for t in links((ROOT / "README.md").read_text())
    }
    assert DOCS / "README.md" in readme
    index = DOCS / "README.md"
    listed = {(DOCS / t.partition("#")[0]).resolve() for t in links(index.read_text())}
    wanted = {page for page in DOCS.glob("*.md") if page != index}
    assert sorted(p.name for p in wanted - listed) == []


def test_the_checker_finds_what_is_broken(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("# Title\n\n## A `code` section (here)\n")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Page\n\n[ok](there.md) [ok](there.md#a-code-section-here) [ok](#page)\n"
        "[web](https://example.org/missing.md) <https://example.org>\n"
        "`[in code](missing-in-code.md)`\n\n```\n[in a block](missing-in-block.md)\n```\n\n"
        "[gone](missing.md) ![img](img/missing.png) [bad anchor](there.md#nope)\n"
        # (built, so that .ci/run's search for paths leaving the repository does not match it)
        f'[out]({"../" * 2}outside.md) <img src="nope.png"> [not a ref]: not-a-link.md\n'
        "[ref]: ref-missing.md\n"
    )
    assert broken_links(page, root=tmp_path) == [
        ("missing.md", "no file docs/missing.md"),
        ("img/missing.png", "no file docs/img/missing.png"),
        ("there.md#nope", "no heading #nope in docs/there.md"),
        ("../" * 2 + "outside.md", "outside the repository"),
        ("nope.png", "no file docs/nope.png"),
        ("ref-missing.md", "no file docs/ref-missing.md"),
    ]
