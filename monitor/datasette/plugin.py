"""The Datasette plugin of the news monitor (review pages come with the review work)."""

from __future__ import annotations
