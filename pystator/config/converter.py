"""Configuration to the runtime's MachineSpec (`from pystator.config.converter import ...`).

The implementation lives in `pystator.generator.pipeline` (load, schema, check, lower).
"""

from pystator.generator.pipeline import compile_document, spec_from_data, spec_from_file

__all__ = ["compile_document", "spec_from_data", "spec_from_file"]
