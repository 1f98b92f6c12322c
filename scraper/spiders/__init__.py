"""Spiders of the Tidings Scrapy project (`scrapy list` shows them)."""
