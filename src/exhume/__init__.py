"""exhume: reconstruct the environment old, unpinned Python code was written for."""

__version__ = "0.1.0"
