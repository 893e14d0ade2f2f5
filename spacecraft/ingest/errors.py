"""The one error of an import: a file (or a page) that cannot be imported."""


class ImportFailure(Exception):
    """A file that cannot be imported; the message names the record and key."""
