"""Errors raised for files the program cannot use."""


class UnreadableFileError(ValueError):
    """A file is missing, truncated, corrupted or of a foreign kind.

    The message is one plain line naming the file and what is wrong with it.
    """
