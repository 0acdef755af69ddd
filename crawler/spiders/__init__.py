"""Scrapy spiders of the newsarchive project."""
