"""Scrapy project: fetch the listing page and report PDFs, persist raw bytes."""
