"""fitbit-sync: your Fitbit and Pixel Watch health data, in a database you own."""

__version__ = "0.1.0"
