"""Text and metadata of a saved web page.

Block elements become paragraphs. What is not the article is dropped: scripts and styles,
and the page's furniture (navigation, header, footer, aside, forms, and elements whose role,
class or id names them: `role=navigation`, `class="cookie-banner"`), since "Home | World |
Sport" and "Copyright 2024 ... Subscribe now!" would otherwise be passages. A header or
footer inside `<article>` or `<main>` belongs to the article and is kept.

Metadata comes from where publishers put it, the most specific first: JSON-LD
(`NewsArticle` and other `*Article` types: headline, author, datePublished, url, publisher),
then `og:` and `article:` properties, `<meta name=author|date|...>`, `<link rel=canonical>`,
and `<title>`.

The standard library's HTMLParser, not a readability library: sofa needs the rules above
and no more, they fit in this file, and the candidates (trafilatura, readability-lxml) bring
lxml and several packages for heuristics tuned to whole-web crawls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from sofa_cli.corpus.decode import loads_json

_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "br",
    "hr",
    "dd",
    "dt",
    "main",
    "aside",
    "figure",
    "figcaption",
    "nav",
    "form",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Never text: code, styles, embedded documents, and the <head> (whose <title>, <meta>,
# <link> and JSON-LD are read as metadata all the same).
_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas", "button", "select"}
# The page around the article.
_FURNITURE = {"nav", "aside", "form", "dialog"}
# Dropped unless inside <article> or <main>, where they hold the article's own title and notes.
_PAGE_EDGES = {"header", "footer"}
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"}
# Class and id tokens that name furniture: a token whose last part is one of these
# ("site-nav", "page-footer", "social-share") or whose first part is one of the second set
# ("cookie-banner", "newsletter-signup"). Whole parts only, so "share-enabled" on an
# article body or "canvas-story" do not count.
_FURNITURE_LAST = {
    "nav",
    "navbar",
    "navigation",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "footer",
    "masthead",
    "sidebar",
    "consent",
    "newsletter",
    "share",
    "sharing",
    "social",
    "related",
    "comments",
    "advert",
    "advertisement",
    "ads",
    "promo",
    "cookie",
    "cookies",
    "subscribe",
    "paywall",
}
_FURNITURE_FIRST = set(
    "cookie cookies newsletter subscribe advert ads breadcrumb paywall nav navbar sidebar social share".split()
)
_PART_RE = re.compile(r"[-_]")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

# JSON-LD scripts larger than this are not parsed: article metadata is a few KB.
MAX_JSON_LD = 256 * 1024

# <meta name=...> and <meta property=...> keys for each metadata field, the most specific first.
_META_KEYS = {
    "title": ("og:title", "twitter:title", "dc.title", "title"),
    "author": ("author", "article:author", "dc.creator", "byl", "parsely-author", "sailthru.author"),
    "date": ("article:published_time", "date", "pubdate", "publishdate", "dc.date", "datepublished", "og:published_time"),
    "url": ("og:url",),
    "source": ("og:site_name", "application-name"),
    "description": ("description", "og:description"),
}


@dataclass
class Page:
    """A web page read: its title, body (one blank line between blocks) and metadata."""

    title: str | None
    body: str
    meta: dict[str, str] = field(default_factory=dict)


class _Extractor(HTMLParser):
    def __init__(self, by_class: bool = True):
        super().__init__(convert_charrefs=True)
        self.by_class = by_class  # whether class and id tokens can name furniture
        self.parts: list[str] = []
        self.title: list[str] = []
        self.meta: dict[str, str] = {}  # <meta> content by lower-case name or property
        self.canonical: str | None = None
        self.json_ld: list[str] = []
        self._in_title = False
        self._in_json_ld = False
        self._skipped: list[str] = []  # the open elements whose content is dropped
        self._article = 0  # open <article> and <main> elements

    def _drops(self, tag: str, attrs) -> bool:
        if tag in _SKIP or tag in _FURNITURE or (tag in _PAGE_EDGES and not self._article):
            return True
        values = dict(attrs)
        if (values.get("role") or "").lower() in _FURNITURE_ROLES or "hidden" in values:
            return True
        if tag in ("article", "main", "body", "html") or not self.by_class:
            return False
        for token in f"{values.get('class') or ''} {values.get('id') or ''}".lower().split():
            parts = _PART_RE.split(token)
            if parts[-1] in _FURNITURE_LAST or parts[0] in _FURNITURE_FIRST:
                return True
        return False

    def handle_starttag(self, tag, attrs):
        if tag == "meta":
            self._meta(attrs)
        elif tag == "link":
            values = dict(attrs)
            if "canonical" in (values.get("rel") or "").lower().split() and values.get("href"):
                self.canonical = values["href"].strip()
        elif tag == "title":
            self._in_title = not self._skipped or self._skipped == ["head"]
        elif tag == "script" and (dict(attrs).get("type") or "").strip().lower() == "application/ld+json":
            self._in_json_ld = True
            self.json_ld.append("")
        if tag in _VOID:
            if tag in ("br", "hr") and not self._skipped:
                self.parts.append("\n\n")
            return
        if self._skipped:
            self._skipped.append(tag)
            return
        if self._drops(tag, attrs):
            self._skipped.append(tag)
            return
        if tag in ("article", "main"):
            self._article += 1
        if tag in _HEADINGS:
            self.parts.append("\n\n# ")  # a Markdown heading: a title, not a passage
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == "script":
            self._in_json_ld = False
        if tag in _VOID:
            return
        if self._skipped:
            # Close up to the matching open element; a stray end tag closes nothing.
            if tag in self._skipped:
                while self._skipped.pop() != tag:
                    pass
            return
        if tag in ("article", "main"):
            self._article = max(0, self._article - 1)
        if tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if self._in_json_ld:
            if len(self.json_ld[-1]) < MAX_JSON_LD:
                self.json_ld[-1] += data
        elif self._in_title:
            self.title.append(data)
        elif not self._skipped:
            self.parts.append(data)

    def _meta(self, attrs):
        values = dict(attrs)
        key = values.get("property") or values.get("name") or values.get("itemprop")
        content = values.get("content")
        if key and content and content.strip():
            self.meta.setdefault(key.strip().lower(), " ".join(content.split()))


def read_page(html: str) -> Page:
    """Title, body and metadata (title, author, date, url, source, description) of a page."""
    parser = _parsed(html, by_class=True)
    body = _body(parser)
    if len(body) < _SHORT_BODY:
        # A wrapper named like furniture ("has-sidebar") may have held the whole article:
        # read the page again by tags and roles alone, and keep that when it says more.
        plain = _body(_parsed(html, by_class=False))
        if len(plain) > 2 * len(body):
            body = plain
    meta: dict[str, str] = {}
    for key, names in _META_KEYS.items():
        for name in names:
            if parser.meta.get(name):
                meta[key] = parser.meta[name]
                break
    if parser.canonical:
        meta["url"] = parser.canonical
    for raw in parser.json_ld:
        article = _json_ld_article(raw)
        if article:
            meta.update(article)
            break
    title_tag = " ".join("".join(parser.title).split()) or None
    if title_tag and "title" not in meta:
        meta["title"] = title_tag
    return Page(meta.get("title"), body, meta)


# A body shorter than this (characters) after class rules: perhaps they dropped the article.
_SHORT_BODY = 500


def _parsed(html: str, by_class: bool) -> _Extractor:
    parser = _Extractor(by_class)
    parser.feed(html)
    parser.close()
    return parser


def _body(parser: _Extractor) -> str:
    """The text kept by `parser`, one blank line between blocks."""
    blocks = [" ".join(b.split()) for b in re.split(r"\n\s*\n", "".join(parser.parts))]
    return "\n\n".join(b for b in blocks if b)


def html_to_text(html: str) -> tuple[str | None, str]:
    """(title, body with one blank line between blocks)."""
    page = read_page(html)
    return page.title, page.body


_ARTICLE_TYPES = {"Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting", "Report"}


def _json_ld_article(raw: str) -> dict[str, str]:
    """The metadata of the first article described in a JSON-LD script, or {}."""
    try:
        data = loads_json(raw, parse_int=str, parse_float=str, parse_constant=str)
    except (ValueError, RecursionError):
        return {}
    for item in _json_ld_items(data):
        types = item.get("@type")
        types = set(types) if isinstance(types, list) else {types}
        if not any(isinstance(t, str) and (t in _ARTICLE_TYPES or t.endswith("Article")) for t in types):
            continue
        found = {
            "title": _text(item.get("headline") or item.get("name")),
            "author": _names(item.get("author")),
            "date": _text(item.get("datePublished") or item.get("dateCreated")),
            "url": _text(item.get("url")) or _text(_id_of(item.get("mainEntityOfPage"))),
            "source": _names(item.get("publisher")),
            "description": _text(item.get("description")),
        }
        return {k: v for k, v in found.items() if v}
    return {}


def _json_ld_items(data, depth: int = 0):
    """Objects of a JSON-LD document: top level, lists, and `@graph`, not deeper."""
    if depth > 2:
        return
    if isinstance(data, list):
        for item in data[:100]:
            yield from _json_ld_items(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        yield from _json_ld_items(data.get("@graph"), depth + 1)


def _text(value) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split())[:500] or None


def _id_of(value):
    return value.get("@id") or value.get("url") if isinstance(value, dict) else value


def _names(value) -> str | None:
    """A person or organisation, or a list of them, as "A, B"."""
    people = value if isinstance(value, list) else [value]
    names = []
    for person in people[:20]:
        name = _text(person.get("name")) if isinstance(person, dict) else _text(person)
        if name and name not in names:
            names.append(name)
    return ", ".join(names) or None
