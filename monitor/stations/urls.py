"""URL canonicalisation: one key per page, whatever the variant (the dedup url stage and the
store's identity of a page), and URLs cleaned of tracking parameters for storing."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from courlan import normalize_url
from w3lib.url import canonicalize_url

logger = logging.getLogger(__name__)

# Host prefixes of mobile and AMP editions of the same page.
VARIANT_HOSTS = re.compile(r"^(?:www\d*|m|mobile|amp|mobil)\.")
# Query parameters that only track the visit; `amp=1`, `outputType=amp` and the like select
# the AMP rendering (any parameter named amp, or whose value is amp, is dropped).
TRACKING_PARAMS = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|ocid|cmpid|ncid"
    r"|igshid|_ga|_gl|at_\w+|sr_share|amp)$",
    re.IGNORECASE,
)


def canonical_url(url: str) -> str:
    """A scheme-less key equal for tracking-, AMP- and mobile-variants of the same page."""
    try:
        url = normalize_url(url.strip())
    except ValueError as exc:
        logger.debug("courlan could not normalise %s: %s", url, exc)
    parts = urlsplit(canonicalize_url(url))
    host = VARIANT_HOSTS.sub("", (parts.hostname or "").lower())
    path = re.sub(r"/amp(?=/|$)|\.amp(?=$|\.html?$)|/+$", "", parts.path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not TRACKING_PARAMS.match(k) and v.lower() != "amp"]
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return f"{host}{port}{path}" + (f"?{urlencode(sorted(query))}" if query else "")


def url_keys(*urls: str | None) -> list[str]:
    """The distinct canonical keys of the given URLs (an article's URL and canonical URL)."""
    keys: list[str] = []
    for url in urls:
        if url and url.startswith(("http://", "https://")):
            key = canonical_url(url)
            if key not in keys:
                keys.append(key)
    return keys


def is_tracking(name: str, value: str = "") -> bool:
    """Whether a query parameter only tracks the visit or selects the AMP rendering."""
    return bool(TRACKING_PARAMS.match(name)) or value.lower() == "amp"


def strip_tracking(url: str) -> str:
    """`url` without tracking parameters and fragment, everything else as given (scheme, host,
    path, the other parameters in their order and spelling)."""
    parts = urlsplit(url.strip())
    kept = [pair for pair in parts.query.split("&") if pair and not is_tracking(
        *(unquote_plus(x) for x in pair.partition("=")[::2]))]
    return urlunsplit(parts._replace(query="&".join(kept), fragment=""))


def url_key(url: str) -> str:
    """The store's identity of a page: the canonical key of a web URL (tracking, AMP and mobile
    variants folded); any other URL (file://) without tracking parameters and fragment."""
    if url.strip().lower().startswith(("http://", "https://")):
        try:
            return canonical_url(url)
        except ValueError as exc:  # a port out of range: the URL is its own key
            logger.debug("no canonical key for %s: %s", url, exc)
    return strip_tracking(url)
