"""Loading machine files and mappings (`from pystator.config.loader import load_file`).

The implementation lives in `pystator.generator.load`: positions kept, limits enforced.
"""

from pystator.generator.load import Document, Limits, load_data, load_file, load_text

__all__ = ["Document", "Limits", "load_data", "load_file", "load_text"]
