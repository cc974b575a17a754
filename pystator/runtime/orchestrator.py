"""Orchestrator: load -> decide -> commit -> act for entities kept in a state store.

Actions run only after the commit succeeded; a write that lost a race is retried from a
fresh load; the machine's error policy retries unexpected failures with exponential
backoff and then moves the entity to its fallback state.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pystator.runtime.actions import ActionExecutor, ActionRegistry, ExecutionResult
from pystator.runtime.errors import FSMError, StaleVersionError, ValidationError
from pystator.runtime.guards import GuardRegistry
from pystator.runtime.hooks import TransitionObserver
from pystator.runtime.machine import StateMachine
from pystator.runtime.results import TransitionResult
from pystator.runtime.session import EntitySession
from pystator.runtime.spec import frozen_mapping
from pystator.runtime.stores.base import EntityRecord, HistoryEntry, VersionedStateStore

ContextValidatorFn = Callable[[str, str, str, dict[str, Any]], tuple[bool, list[str]]]

MAX_CONFLICTS = 16


class Orchestrator:
    """Processes events for entities identified by id, persisting them in `state_store`."""

    def __init__(
        self,
        machine: StateMachine[Any, Any, Any],
        state_store: VersionedStateStore,
        guards: GuardRegistry | None = None,
        actions: ActionRegistry | None = None,
        context_validator: ContextValidatorFn | None = None,
        scheduler: Any = None,
        use_initial_state_when_missing: bool = True,
        observer: TransitionObserver | None = None,
        *,
        retry_base_delay: float = 0.01,
    ) -> None:
        if not isinstance(machine, StateMachine):
            raise TypeError(f"machine must be a StateMachine, got {type(machine).__name__}")
        for method in ("load", "save", "history"):
            if not callable(getattr(state_store, method, None)):
                raise TypeError(
                    f"{type(state_store).__name__} is not a versioned state store (no {method}())"
                )
        self.machine = machine
        self.store = state_store
        if guards is not None:
            machine.bind(guards=guards)
        self.actions = actions if actions is not None else machine.action_registry
        self.executor = ActionExecutor(self.actions)
        self.context_validator = context_validator
        self.scheduler = scheduler
        self.use_initial_state_when_missing = use_initial_state_when_missing
        self.observer = observer
        self.retry_base_delay = retry_base_delay

    # -- the loop -----------------------------------------------------------------------

    def process_event(
        self,
        entity_id: str,
        trigger: str,
        context: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> TransitionResult:
        """Load the entity, decide, commit, then run the transition's actions."""
        payload = _check_arguments(entity_id, trigger, context)
        replay = self._replay(idempotency_key, entity_id)
        if replay is not None:
            return replay
        conflicts = failures = 0
        while True:
            try:
                result, session = self._decide_and_commit(entity_id, trigger, payload)
                break
            except StaleVersionError:
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise
                time.sleep(self._delay(conflicts))
            except FSMError:
                raise
            except Exception as exc:  # an unexpected failure: the error policy decides
                failures += 1
                if failures <= self.machine.spec.error_policy.retry_attempts:
                    time.sleep(self._delay(failures))
                    continue
                return self._fall_back(entity_id, trigger, exc)
        return self._act(result, session, idempotency_key, entity_id, self.executor.execute)

    async def async_process_event(
        self,
        entity_id: str,
        trigger: str,
        context: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> TransitionResult:
        """Like `process_event`, awaiting async guards and actions."""
        payload = _check_arguments(entity_id, trigger, context)
        replay = self._replay(idempotency_key, entity_id)
        if replay is not None:
            return replay
        conflicts = failures = 0
        while True:
            try:
                result, session = await self._adecide_and_commit(entity_id, trigger, payload)
                break
            except StaleVersionError:
                conflicts += 1
                if conflicts > MAX_CONFLICTS:
                    raise
                await asyncio.sleep(self._delay(conflicts))
            except FSMError:
                raise
            except Exception as exc:  # an unexpected failure: the error policy decides
                failures += 1
                if failures <= self.machine.spec.error_policy.retry_attempts:
                    await asyncio.sleep(self._delay(failures))
                    continue
                return self._fall_back(entity_id, trigger, exc)
        execution = await self.executor.async_execute_sequential(result, session.context)
        return self._act(result, session, idempotency_key, entity_id, lambda r, c: execution)

    async def close(self) -> None:
        """Stop the scheduler, if one was given."""
        for name in ("close", "stop"):
            stop = getattr(self.scheduler, name, None)
            if callable(stop):
                outcome = stop()
                if asyncio.iscoroutine(outcome):
                    await outcome
                return

    def history(self, entity_id: str) -> list[HistoryEntry]:
        return self.store.history(entity_id)

    # -- steps ---------------------------------------------------------------------------

    def _delay(self, attempt: int) -> float:
        return float(min(1.0, self.retry_base_delay * (2 ** (attempt - 1))))

    def _session(self, entity_id: str) -> tuple[EntitySession[Any, Any, Any], int]:
        record = self.store.load(entity_id)
        return self._from_record(entity_id, record)

    def _from_record(
        self, entity_id: str, record: EntityRecord | None
    ) -> tuple[EntitySession[Any, Any, Any], int]:
        machine = self.machine
        if record is None:
            if not self.use_initial_state_when_missing:
                raise FSMError(
                    f"entity {entity_id!r} is not in the store and "
                    "use_initial_state_when_missing is off",
                    {"entity_id": entity_id},
                )
            return machine.create(), 0
        snapshot = {
            "current_state": record.state,
            "context": record.context,
            "history": record.history,
            "parallel": record.parallel,
            "machine_version": "stored",
        }
        return EntitySession.from_snapshot(machine, snapshot), record.version

    def _validate(
        self,
        entity_id: str,
        session: EntitySession[Any, Any, Any],
        trigger: str,
        merged: dict[str, Any],
    ) -> TransitionResult | None:
        errors: list[str] = []
        if self.context_validator is not None:
            ok, found = self.context_validator(entity_id, session.current_state, trigger, merged)
            if not ok:
                errors = list(found) or ["context rejected"]
        if not errors and self.machine.spec.validate_context:
            errors = [
                f"missing required context key {v.key!r}"
                for v in self.machine.spec.variables
                if v.required and v.key not in merged
            ]
        if not errors:
            return None
        error = ValidationError("context validation failed", errors)
        return TransitionResult.failure_result(
            session.current_state,
            trigger,
            error,
            {"reason": "context_validation", "errors": errors},
        )

    def _decide_and_commit(
        self, entity_id: str, trigger: str, payload: dict[str, Any]
    ) -> tuple[TransitionResult, EntitySession[Any, Any, Any]]:
        session, version = self._session(entity_id)
        refused = self._validate(entity_id, session, trigger, {**session.context, **payload})
        if refused is not None:
            return refused, session
        source = session.current_state
        started = self._before(entity_id, session, trigger, payload)
        result = session.send(trigger, **payload)
        if result.success:
            self.store.save(*self._write(entity_id, session, version, source, result, started))
        self._after(result, session, started)
        return result, session

    async def _adecide_and_commit(
        self, entity_id: str, trigger: str, payload: dict[str, Any]
    ) -> tuple[TransitionResult, EntitySession[Any, Any, Any]]:
        aload = getattr(self.store, "aload", None)
        record = await aload(entity_id) if aload else self.store.load(entity_id)
        session, version = self._from_record(entity_id, record)
        refused = self._validate(entity_id, session, trigger, {**session.context, **payload})
        if refused is not None:
            return refused, session
        source = session.current_state
        started = self._before(entity_id, session, trigger, payload)
        result = await session.asend(trigger, **payload)
        if result.success:
            write = self._write(entity_id, session, version, source, result, started)
            asave = getattr(self.store, "asave", None)
            if asave:
                await asave(*write)
            else:
                self.store.save(*write)
        self._after(result, session, started)
        return result, session

    def _before(
        self,
        entity_id: str,
        session: EntitySession[Any, Any, Any],
        trigger: str,
        payload: dict[str, Any],
    ) -> float:
        if self.observer is not None:
            context = {**session.context, **payload}
            self.observer.before_process(entity_id, session.current_state, trigger, context)
            return self.observer.before_transition(session.current_state, trigger, context)
        return time.perf_counter()

    def _after(
        self, result: TransitionResult, session: EntitySession[Any, Any, Any], started: float
    ) -> None:
        if self.observer is not None:
            self.observer.after_transition(result, dict(session.context), started)

    def _write(
        self,
        entity_id: str,
        session: EntitySession[Any, Any, Any],
        version: int,
        source: str,
        result: TransitionResult,
        started: float,
    ) -> tuple[EntityRecord, int, HistoryEntry]:
        config = session.parallel_config
        record = EntityRecord(
            entity_id=entity_id,
            state=session.current_state,
            context=dict(session.context),
            version=version,
            machine_name=self.machine.name,
            history=session.history,
            parallel=config.to_string() if config else None,
        )
        entry = HistoryEntry(
            entity_id=entity_id,
            source_state=source,
            target_state=result.target_state,
            trigger=result.trigger,
            success=result.success,
            error=None,
            actions=result.all_actions,
            timestamp=datetime.now(UTC).isoformat(),
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )
        return record, version, entry

    def _act(
        self,
        result: TransitionResult,
        session: EntitySession[Any, Any, Any],
        key: str | None,
        entity_id: str,
        run: Callable[[TransitionResult, dict[str, Any]], ExecutionResult],
    ) -> TransitionResult:
        if result.success and result.all_actions:
            execution = run(result, dict(session.context))
            if execution.errors:
                metadata = {
                    **result.metadata,
                    "action_errors": [str(error) for error in execution.errors],
                }
                result = TransitionResult(
                    result.success,
                    result.source_state,
                    result.target_state,
                    result.trigger,
                    result.actions_to_execute,
                    result.on_exit_actions,
                    result.on_enter_actions,
                    result.error,
                    frozen_mapping(metadata),
                )
        if key is not None:
            self.store.remember(_key(entity_id, key), _outcome(result))
        return result

    def _replay(self, key: str | None, entity_id: str) -> TransitionResult | None:
        if key is None:
            return None
        seen = self.store.recall(_key(entity_id, key))
        if seen is None:
            return None
        return TransitionResult(
            success=bool(seen["success"]),
            source_state=str(seen["source_state"]),
            target_state=seen["target_state"],
            trigger=str(seen["trigger"]),
            metadata=frozen_mapping({**seen["metadata"], "replayed": True}),
        )

    def _fall_back(self, entity_id: str, trigger: str, exc: Exception) -> TransitionResult:
        """Move the entity to the error policy's fallback state, recording why."""
        fallback = self.machine.spec.error_policy.default_fallback
        error = FSMError(
            f"processing {trigger!r} for entity {entity_id!r} failed: {type(exc).__name__}: {exc}",
            {"entity_id": entity_id, "trigger": trigger},
        )
        if fallback is None:
            raise error from exc
        record = self.store.load(entity_id)
        source = record.state if record else self.machine.get_initial_state()
        context = dict(record.context) if record else {}
        context["_error"] = str(error)
        moved = EntityRecord(
            entity_id=entity_id,
            state=fallback,
            context=context,
            version=record.version if record else 0,
            machine_name=self.machine.name,
            history=record.history if record else {},
        )
        entry = HistoryEntry(
            entity_id,
            source,
            fallback,
            trigger,
            False,
            str(error),
            (),
            datetime.now(UTC).isoformat(),
            0.0,
        )
        self.store.save(moved, moved.version, entry)
        return TransitionResult(
            success=False,
            source_state=source,
            target_state=fallback,
            trigger=trigger,
            error=error,
            metadata=frozen_mapping({"reason": "error_fallback", "fallback_state": fallback}),
        )


def _check_arguments(
    entity_id: str, trigger: str, context: Mapping[str, Any] | None
) -> dict[str, Any]:
    if not isinstance(entity_id, str) or not entity_id:
        raise TypeError(f"entity_id must be a non-empty string, got {entity_id!r}")
    if not isinstance(trigger, str) or not trigger:
        raise TypeError(f"trigger must be a non-empty string, got {trigger!r}")
    if context is not None and not isinstance(context, Mapping):
        raise TypeError(f"context must be a mapping, got {type(context).__name__}")
    return dict(context or {})


def _key(entity_id: str, key: str) -> str:
    return f"{entity_id}\x1f{key}"


def _outcome(result: TransitionResult) -> dict[str, Any]:
    return {
        "success": result.success,
        "source_state": result.source_state,
        "target_state": result.target_state,
        "trigger": result.trigger,
        "metadata": {"reason": result.metadata.get("reason")} if not result.success else {},
    }
