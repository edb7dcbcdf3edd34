"""The Google Health API source: client (paging, retries, pacing), and converters on top of it.

``HealthApiClient`` and ``open_client`` live in ``fitbit_sync.sources.google_health.client``.
"""
