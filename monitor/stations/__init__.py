"""The stations: pure functions an article passes through, each usable without Scrapy or SQLite."""
