"""TransitionResult: what the engine decided for one event.

Results are immutable; the engine shares one precomputed result per unguarded route, so
`metadata` is a dict that refuses writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pystator.runtime.errors import FSMError
from pystator.runtime.spec import (
    ActionSpec,
    ReadOnlyDict,
    empty_metadata,
    frozen_mapping,
    read_only_dict,
)
from pystator.runtime.steps import Step


@dataclass(frozen=True, slots=True)
class TransitionResult:
    """The outcome of processing one trigger from one state.

    On success `target_state` is the new state and the action tuples list what to run,
    in the order exit -> transition -> enter. On failure `error` says why and
    `metadata["reason"]` names the cause in a stable, machine-readable word. `step` is
    the engine's whole decision (None on failure): the transitions taken and the states
    exited and entered, which `exited_states` and `entered_states` repeat.
    """

    success: bool
    source_state: str
    target_state: str | None
    trigger: str
    actions_to_execute: tuple[ActionSpec, ...] = ()
    on_exit_actions: tuple[ActionSpec, ...] = ()
    on_enter_actions: tuple[ActionSpec, ...] = ()
    error: FSMError | None = None
    metadata: Mapping[str, Any] = field(default_factory=empty_metadata)
    step: Step | None = None

    def __post_init__(self) -> None:
        # Whatever mapping a caller passes, `metadata` is a dict (json.dumps takes it)
        # that refuses writes, since results may be shared.
        if self.metadata.__class__ is not ReadOnlyDict:
            object.__setattr__(self, "metadata", read_only_dict(self.metadata))

    @property
    def exited_states(self) -> tuple[str, ...]:
        """Every state the event exited, in order (innermost first); empty on failure."""
        return self.step.exited_states if self.step is not None else ()

    @property
    def entered_states(self) -> tuple[str, ...]:
        """Every state the event entered, in order (outermost first); empty on failure."""
        return self.step.entered_states if self.step is not None else ()

    @property
    def all_action_specs(self) -> tuple[ActionSpec, ...]:
        """Every action in execution order: exit, then transition, then enter."""
        return self.on_exit_actions + self.actions_to_execute + self.on_enter_actions

    @property
    def all_actions(self) -> tuple[str, ...]:
        """The names of `all_action_specs` (effects appear as ``_effect.<type>``)."""
        return tuple(spec.name for spec in self.all_action_specs)

    @property
    def is_self_transition(self) -> bool:
        return self.success and self.source_state == self.target_state

    @property
    def state_changed(self) -> bool:
        return self.success and self.source_state != self.target_state

    @classmethod
    def success_result(
        cls,
        source_state: str,
        target_state: str,
        trigger: str,
        actions: tuple[ActionSpec, ...] = (),
        on_exit: tuple[ActionSpec, ...] = (),
        on_enter: tuple[ActionSpec, ...] = (),
        metadata: Mapping[str, Any] | None = None,
        step: Step | None = None,
    ) -> TransitionResult:
        return cls(
            success=True,
            source_state=source_state,
            target_state=target_state,
            trigger=trigger,
            actions_to_execute=actions,
            on_exit_actions=on_exit,
            on_enter_actions=on_enter,
            metadata=frozen_mapping(metadata),
            step=step,
        )

    @classmethod
    def failure_result(
        cls,
        source_state: str,
        trigger: str,
        error: FSMError,
        metadata: Mapping[str, Any] | None = None,
    ) -> TransitionResult:
        return cls(
            success=False,
            source_state=source_state,
            target_state=None,
            trigger=trigger,
            error=error,
            metadata=frozen_mapping(metadata),
        )

    @classmethod
    def no_op_result(
        cls, current_state: str, trigger: str, metadata: Mapping[str, Any] | None = None
    ) -> TransitionResult:
        """Stay in the same state with no actions (non-strict machines, unknown events)."""
        data = dict(metadata or {})
        data.update(no_op=True, reason="no_matching_transition")
        return cls(
            success=True,
            source_state=current_state,
            target_state=current_state,
            trigger=trigger,
            metadata=frozen_mapping(data),
            step=Step.of(trigger, (current_state,), (current_state,), ()),
        )

    def raise_for_error(self) -> TransitionResult:
        """Raise `error` if the transition failed; return self otherwise (for chaining)."""
        if self.error is not None:
            raise self.error
        return self
