"""Links that carry a page's query string.

Request arguments never go into `url_for` as keyword arguments: it takes `_method`,
`_scheme`, `_external`, `_anchor` (and its own `endpoint`) as options, so `?_method=POST`
would break every page with such a link. Search links keep the known search parameters
only; the language switcher carries the query along as data.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import has_request_context, request, url_for
from werkzeug.routing import BuildError

from .search_params import FILTER_NAMES, PARAMETER_NAMES

# The filters a results page shows as removable chips, and every parameter of a search.
FILTER_PARAMS = FILTER_NAMES
SEARCH_PARAMS = PARAMETER_NAMES


def search_url(**replace) -> str:
    """This search's results page with some parameters replaced (None drops one)."""
    values = {name: request.args.getlist(name) for name in SEARCH_PARAMS if name in request.args}
    for name, value in replace.items():
        if name not in SEARCH_PARAMS:
            raise ValueError(f"{name} is not a search parameter")
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value if isinstance(value, list) else [value]
    query = urlencode([(name, v) for name, vs in values.items() for v in vs])
    return url_for("public.search") + (f"?{query}" if query else "")


def shortlist_url(
    ids, origin: tuple[float, float] | None = None, unit: str | None = None, external=False
) -> str:
    """The shortlist page of these practitioners; `origin` and `unit` let it show distances
    from a search place (a shared link leaves them out: it should not tell where one lives)."""
    pairs = [("id", str(i)) for i in ids]
    if origin is not None:
        pairs.append(("from", f"{origin[0]:.5f},{origin[1]:.5f}"))
        if unit:
            pairs.append(("unit", unit))
    path = url_for("public.shortlist", _external=external)
    return path + (f"?{urlencode(pairs)}" if pairs else "")


def switch_url(code: str | None) -> str:
    """This page in another language (GET pages keep their query; others go home); with no
    code, the page without one (the visitor's own language)."""
    chosen = urlencode([("lang", code)]) if code else ""
    page = _once_a_request("finder.links.this_page", _this_page)
    if page is None:
        return url_for("public.index", **({"lang": code} if code else {}))
    path, kept = page
    query = "&".join(part for part in (kept, chosen) if part)
    return f"{path}?{query}" if query else path


def _this_page() -> tuple[str, str] | None:
    """This GET page's path and its query without `lang` (urlencoded), or None for a page
    that links home instead."""
    if request.method != "GET" or not request.endpoint or request.endpoint == "static":
        return None
    try:
        path = url_for(request.endpoint, **(request.view_args or {}))
    except BuildError:  # an endpoint that cannot be built again goes home instead
        return None
    return path, urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "lang"])


def _once_a_request(key: str, compute):
    """compute(), worked out once a request and kept in its WSGI environment (flask.g can
    outlive a request: one app context may hold several): a page links to itself in every
    language twice (the language menu and its alternate links). Outside a request, each time."""
    if not has_request_context():
        return compute()
    environ = request.environ
    if key not in environ:
        environ[key] = compute()
    return environ[key]


def page_url(code: str | None) -> str:
    """switch_url as an absolute URL: the canonical and alternate links of a page."""
    return site_url(switch_url(code))


def site_url(path: str) -> str:
    """A path of this site as an absolute URL, on the site's configured name (SERVER_NAME)
    when there is one."""
    root = _once_a_request(
        "finder.links.site_root", lambda: url_for("public.index", _external=True).rstrip("/")
    )
    return root + path


def this_url() -> str:
    """The requested URL with its query, on the site's configured name (SERVER_NAME) when
    there is one: never a host a client made up, in a response that may be cached."""
    query = request.query_string.decode("latin-1")
    return site_url(request.path) + (f"?{query}" if query else "")
