"""URL identity: the one canonical form under which an article is stored."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url


def canonical_url(url: str) -> str:
    """Return `url` normalised: lower-case host, sorted query, no tracking parameters
    (utm_*, fbclid, …) and no fragment."""
    normalised = normalize_url(url.strip())
    scheme, netloc, path, query, _fragment = urlsplit(normalised)
    return urlunsplit((scheme, netloc, path or "/", query, ""))


def host_of(url: str) -> str:
    """Return the lower-case host name of `url` ('' when it has none)."""
    return (urlsplit(url).hostname or "").lower()


def same_site(url: str, other: str) -> bool:
    """True when both URLs are on the same host, ignoring a leading 'www.'."""
    return host_of(url).removeprefix("www.") == host_of(other).removeprefix("www.")
