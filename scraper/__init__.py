"""The Scrapy project of Tidings: one generic listing spider, driven by the config."""
