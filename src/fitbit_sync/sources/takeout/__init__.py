"""Google Takeout / Fitbit export archives: discovery, parsers per file family, the importer.

``import_archives(paths, store, options)`` reads zip files (also numbered parts) or extracted
folders and writes the same canonical records as the API path; see ``docs/takeout.md``.
"""

from fitbit_sync.sources.takeout.importer import (
    FileReport,
    ImportOptions,
    ImportSummary,
    MeasurementSummary,
    TakeoutImporter,
    import_archives,
)

__all__ = ["FileReport", "ImportOptions", "ImportSummary", "MeasurementSummary", "TakeoutImporter",
           "import_archives"]
