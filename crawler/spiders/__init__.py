"""Scrapy spiders of ddor-watch."""
