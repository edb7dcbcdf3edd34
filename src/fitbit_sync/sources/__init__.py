"""Data sources: each yields canonical records (the Google Health API, Takeout archives)."""
