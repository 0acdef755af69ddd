"""What a search URL holds, read the same way by the pages and the JSON API, with its caps.

The URL holds the whole state of a search (query, filters, sort, page, page size), so that a
search can be shared or bookmarked; :class:`UrlState` builds the links of a page (a facet
value added or removed, another page) from the request's own parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Final
from urllib.parse import urlencode

from fastapi import Depends, Query

from archive.filters import ArticleFilter, FilterError
from archive.search import SortOrder

#: Longest query read (in characters): a query is a few words, not a document.
MAX_QUERY_CHARS: Final = 200
#: Results per page: the default, the choices a page offers, and the most the API gives.
DEFAULT_PAGE_SIZE: Final = 10
PAGE_SIZES: Final = (10, 20, 50, 100)
MAX_PAGE_SIZE: Final = 100
#: How deep pages go: ranking must sort every match before an offset, so deep pages cost
#: more and more; the whole result set is one export away.
MAX_RESULTS_OFFSET: Final = 10_000
#: Values per filter field, and the length of each.
MAX_FILTER_VALUES: Final = 20
MAX_FILTER_CHARS: Final = 200
#: Runs listed on the runs page: the default and the most.
DEFAULT_RUNS: Final = 20
MAX_RUNS: Final = 200

#: The filter fields of a search URL, named as ``ArticleFilter`` and the CLI name them.
FILTER_FIELDS: Final = ("site", "source", "author", "section", "profile", "language")


class ParamError(ValueError):
    """A search parameter that cannot be used; the message says how to fix it, in one line."""


@dataclass(frozen=True, slots=True)
class Selection:
    """The articles a URL selects: a query (possibly empty) and filters."""

    query: str
    filters: ArticleFilter
    #: ``since`` and ``until`` as written, to show them back in the form.
    since: str = ""
    until: str = ""

    def filter_items(self) -> list[tuple[str, str]]:
        """The filters as URL parameters, in field order."""
        items = [(name, value) for name in FILTER_FIELDS for value in getattr(self.filters, name)]
        items += [(name, value) for name, value in (("since", self.since), ("until", self.until))]
        return [(name, value) for name, value in items if value]

    def href(self, path: str, **extra: str) -> str:
        """``path`` with this selection's parameters, plus ``extra`` (the export's link)."""
        items = [("q", self.query), *self.filter_items(), *extra.items()]
        return UrlState(path, items).replace()


@dataclass(frozen=True, slots=True)
class SearchParams:
    """A page of a search: the selection, its order, which page and how long, with facets?"""

    selection: Selection
    sort: SortOrder
    page: int
    size: int
    facets: bool

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def pages(self, total: int) -> int:
        """How many pages ``total`` results fill, up to the last one that may be asked for."""
        reachable = min(total, MAX_RESULTS_OFFSET)
        return -(-reachable // self.size)


def _values(name: str, values: list[str] | None) -> tuple[str, ...]:
    kept = tuple(dict.fromkeys(v.strip() for v in values or () if v.strip()))
    if len(kept) > MAX_FILTER_VALUES:
        raise ParamError(f"{name}: at most {MAX_FILTER_VALUES} values, got {len(kept)}")
    for value in kept:
        if len(value) > MAX_FILTER_CHARS:
            raise ParamError(f"{name}: a value is longer than {MAX_FILTER_CHARS} characters")
    return kept


_FILTER_HELP = "Only articles with this {} (repeatable: any of the values)."


def selection_params(
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_CHARS,
            description='Words and "quoted phrases", all required, in title or text; Chinese '
            "is matched by characters, traditional and simplified alike (罗湖, 羅湖). Empty: "
            "every article that passes the filters.",
        ),
    ] = "",
    site: Annotated[list[str] | None, Query(description=_FILTER_HELP.format("site"))] = None,
    source: Annotated[list[str] | None, Query(description=_FILTER_HELP.format("source"))] = None,
    author: Annotated[list[str] | None, Query(description="Only articles by this author.")] = None,
    section: Annotated[list[str] | None, Query(description=_FILTER_HELP.format("section"))] = None,
    profile: Annotated[
        list[str] | None, Query(description=_FILTER_HELP.format("site profile"))
    ] = None,
    language: Annotated[
        list[str] | None, Query(description=_FILTER_HELP.format("language (zh, en, ...)"))
    ] = None,
    since: Annotated[
        str,
        Query(
            max_length=40,
            description="Published at or after: YYYY-MM-DD or YYYY-MM (UTC), or an ISO 8601 "
            "time with its offset.",
        ),
    ] = "",
    until: Annotated[
        str, Query(max_length=40, description="Published before the end of (same forms).")
    ] = "",
) -> Selection:
    """The query and filters of a request, as ``newsarchive search`` and ``export`` read them."""
    try:
        filters = ArticleFilter.from_options(
            site=_values("site", site),
            source=_values("source", source),
            author=_values("author", author),
            section=_values("section", section),
            profile=_values("profile", profile),
            language=_values("language", language),
            since=since.strip() or None,
            until=until.strip() or None,
        )
    except FilterError as exc:
        raise ParamError(str(exc)) from None
    return Selection(q.strip(), filters, since.strip(), until.strip())


def search_params(
    selection: Annotated[Selection, Depends(selection_params)],
    sort: Annotated[
        SortOrder, Query(description="Best match first, or newest first (undated last).")
    ] = "relevance",
    page: Annotated[int, Query(ge=1, description="Page number, from 1.")] = 1,
    size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Results per page.")
    ] = DEFAULT_PAGE_SIZE,
    facets: Annotated[
        bool, Query(description="Count the facets (site, source, author, ...) of the results.")
    ] = True,
) -> SearchParams:
    """A page of a search; pages beyond ``MAX_RESULTS_OFFSET`` results are refused."""
    params = SearchParams(selection, sort, page, size, facets)
    if params.offset >= MAX_RESULTS_OFFSET:
        raise ParamError(
            f"page {page} starts beyond result {MAX_RESULTS_OFFSET:,}: narrow the search with"
            " filters, or download the whole result set as an export"
        )
    return params


class UrlState:
    """The links of a page, built from its own URL parameters (empty ones left out)."""

    def __init__(self, path: str, items: Iterable[tuple[str, str]]) -> None:
        self.path = path
        self.items = [(key, value) for key, value in items if value != ""]

    def _href(self, items: list[tuple[str, str]]) -> str:
        return self.path + ("?" + urlencode(items) if items else "")

    def has(self, key: str, value: str) -> bool:
        return (key, value) in self.items

    def toggle(self, key: str, value: str) -> str:
        """This search with ``key=value`` added, or removed if present, from its first page."""
        rest = [item for item in self.items if item[0] != "page"]
        if (key, value) in rest:
            return self._href([item for item in rest if item != (key, value)])
        return self._href([*rest, (key, value)])

    def replace(self, **values: str) -> str:
        """This search with each ``key`` set to ``value`` (removed when empty), first page."""
        rest = [item for item in self.items if item[0] != "page" and item[0] not in values]
        return self._href(rest + [(key, value) for key, value in values.items() if value])

    def page(self, number: int) -> str:
        """This search at page ``number``."""
        rest = [item for item in self.items if item[0] != "page"]
        return self._href(rest + ([("page", str(number))] if number > 1 else []))
