"""Parsers per file family of the export; each is ``parse(entry, ctx) -> Iterator[Record]``."""
