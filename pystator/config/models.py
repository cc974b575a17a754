"""The configuration models (`from pystator.config.models import MachineConfig`).

The implementation lives in `pystator.generator.schema`: pydantic models of the YAML format.
"""

from pystator.generator.schema import (
    MachineConfig,
    MetaDef,
    StateDef,
    TransitionDef,
)
from pystator.generator.validate import validate_document

__all__ = ["MachineConfig", "MetaDef", "StateDef", "TransitionDef", "validate_document"]
