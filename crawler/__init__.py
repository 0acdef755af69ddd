"""The crawling side of newsarchive: Scrapy spiders, middlewares and pipelines, plus extraction.

``crawler.extraction`` and ``crawler.urls`` are pure and import nothing of Scrapy, so that they can
be used (and tested) without a crawl. Importing this package imports nothing of Scrapy either.
"""
