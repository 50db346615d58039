"""The package's version, in a module of its own: the renderers and the CLI read it without
importing the package root (which imports them: that would be an import cycle)."""

__version__ = "0.2.0"
