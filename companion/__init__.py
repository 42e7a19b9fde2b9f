"""companion: recurrent networks by hand, in numpy."""
__version__ = "0.1.0"
