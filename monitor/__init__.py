"""News monitor: a multilingual crawler for reports of child-recovery operations.

The public API is the stations, each usable without Scrapy.
"""

from __future__ import annotations

from monitor.items import Article
from monitor.stations.extraction import ExtractionError, extract
from monitor.stations.language import LanguageResult, detect
from monitor.stations.profiles import Profile, load_profile
from monitor.store import Store

__all__ = [
    "Article", "ExtractionError", "LanguageResult", "Profile", "Store", "detect", "extract",
    "load_profile",
]
__version__ = "0.1.0"
