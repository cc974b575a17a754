"""The version of pystator: the one place it is written.

The package, the compiler's generated headers and the wheel metadata all read it from here.
"""

__version__ = "0.1.0"
