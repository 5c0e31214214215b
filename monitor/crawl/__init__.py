"""The crawl: Scrapy's side (sources, spider base, middlewares, pipelines, run records)."""
