"""The network layer every HTTP peer shares: one retry policy (``retry``) and requests that a stop
or a deadline cuts short with a capped body (``transport``).

Used by the Google Health API client (``sources``), the OAuth token endpoints (``auth``) and the
InfluxDB writer (``stores``); it imports none of them, so each may use it without reaching up.
"""
