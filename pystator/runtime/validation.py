"""Run-time validation the machine file asks for: required context variables
(`meta.validate_context: true`) and the required payload fields each event declares.

Built once per machine; checked before any guard runs, so a missing value is reported by
name instead of surfacing as a guard's KeyError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pystator.runtime.errors import ValidationError
from pystator.runtime.results import TransitionResult
from pystator.runtime.spec import MachineSpec, TriggerSpec


class ContextRules:
    """What a machine's contexts and events must hold."""

    __slots__ = ("_normalize", "fields", "required")

    def __init__(self, spec: MachineSpec, normalize: Callable[[str], str] | None = None) -> None:
        #: Context variables every context must hold (empty unless `validate_context`).
        self.required = required_variables(spec)
        #: Per trigger, the payload fields it declares as required.
        self.fields: dict[str, tuple[str, ...]] = {
            trigger.name: names for trigger in spec.triggers if (names := required_fields(trigger))
        }
        self._normalize = normalize

    @classmethod
    def of(
        cls, spec: MachineSpec, normalize: Callable[[str], str] | None = None
    ) -> ContextRules | None:
        """The rules of `spec`, or None when it has none (nothing to check per event)."""
        rules = cls(spec, normalize)
        return rules if rules.required or rules.fields else None

    def problems(self, trigger: str | None, context: Mapping[str, Any]) -> list[str]:
        """One sentence per missing value; `trigger` None checks the variables only."""
        found = [
            f"context lacks the required variable {key!r}"
            for key in self.required
            if key not in context
        ]
        if trigger is not None:
            name = self._normalize(trigger) if self._normalize is not None else trigger
            found += [
                f"event {name!r} lacks its payload field {field!r}"
                for field in self.fields.get(name, ())
                if field not in context
            ]
        return found

    def refusal(
        self, state: str, trigger: str, context: Mapping[str, Any]
    ) -> TransitionResult | None:
        """The failure result for an event whose context misses something, or None."""
        found = self.problems(trigger, context)
        if not found:
            return None
        return TransitionResult.failure_result(
            state, trigger, refused(found), {"reason": "context_validation", "errors": found}
        )

    def check_create(self, context: Mapping[str, Any]) -> None:
        """Raise ValidationError naming every required variable a new entity lacks."""
        found = self.problems(None, context)
        if found:
            raise refused(found)


def required_variables(spec: MachineSpec) -> tuple[str, ...]:
    """The variables every context of `spec` must hold (none unless `validate_context`)."""
    return tuple(v.key for v in spec.variables if v.required) if spec.validate_context else ()


def required_fields(trigger: TriggerSpec) -> tuple[str, ...]:
    """The payload fields an event of `trigger` must hold."""
    return tuple(f.name for f in trigger.payload if f.required)


def refused(problems: list[str]) -> ValidationError:
    """The error for `problems`: its message is them, said once."""
    error = ValidationError("; ".join(problems))
    error.errors = list(problems)
    return error
