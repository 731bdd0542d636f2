"""newswatch: watches the news about Tajikistan and the OSCE."""

__version__ = "0.1.0"
