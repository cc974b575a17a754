"""Schema: pydantic models that mirror the YAML format, and nothing else.

`validate` (in validate.py) checks a loaded document against them; they also publish the
format's JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from pystator.runtime.spec import CheckOp, EffectType, StateType

EFFECT_KEYS = tuple(effect.value for effect in EffectType)
# Enumerations the runtime defines are read from their string values in a machine file.
_FROM_TEXT = Field(strict=False)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _as_list(value: Any) -> Any:
    """YAML lets a single item stand for a one-item list (`on_enter: log`)."""
    if value is None:
        return []
    if isinstance(value, str | dict):
        return [value]
    return value


# -- actions ------------------------------------------------------------------


class _Call(Model):
    """A handler named with its parameters: `{name: notify, params: {channel: ops}}`."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    description: str = ""


class NamedActionDef(_Call):
    pass


class AppendDef(Model):
    field: str
    value: Any


class EffectDef(Model):
    """A declarative effect: exactly one of the keys below."""

    set: dict[str, Any] | None = None
    timestamp: str | None = None
    increment: str | None = None
    decrement: str | None = None
    append: AppendDef | None = None
    clear: str | list[str] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> EffectDef:
        given = [key for key in EFFECT_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(
                "an effect needs exactly one of "
                + ", ".join(EFFECT_KEYS)
                + (f"; got {', '.join(given)}" if given else "")
            )
        return self


def _action_tag(value: Any) -> str:
    if isinstance(value, str):
        return "ref"
    if isinstance(value, dict) and "name" in value:
        return "named"
    if isinstance(value, dict):
        return "effect"
    return "ref"


ActionItem = Annotated[
    Annotated[str, Tag("ref")]
    | Annotated[NamedActionDef, Tag("named")]
    | Annotated[EffectDef, Tag("effect")],
    Discriminator(_action_tag),
]


# -- guards ---------------------------------------------------------------------


class NamedGuardDef(_Call):
    pass


class ExprGuardDef(Model):
    expr: str
    description: str = ""


class CheckDef(Model):
    field: str
    op: Annotated[CheckOp, _FROM_TEXT]
    value: Any = None
    values: list[Any] | None = None


class CheckGuardDef(Model):
    check: CheckDef
    description: str = ""


def _guard_tag(value: Any) -> str:
    if isinstance(value, dict):
        if "expr" in value:
            return "expr"
        if "check" in value:
            return "check"
        return "named"
    return "ref"


GuardItem = Annotated[
    Annotated[str, Tag("ref")]
    | Annotated[NamedGuardDef, Tag("named")]
    | Annotated[ExprGuardDef, Tag("expr")]
    | Annotated[CheckGuardDef, Tag("check")],
    Discriminator(_guard_tag),
]


# -- states ---------------------------------------------------------------------


class TimeoutDef(Model):
    # At most 366 days, like `after:` durations; longer is almost surely a unit mistake.
    seconds: float = Field(gt=0, le=366 * 86_400, allow_inf_nan=False)
    destination: str


class RegionDef(Model):
    name: str
    initial: str
    states: list[str] = Field(default_factory=list)
    description: str = ""


class InvokeDef(Model):
    id: str
    src: str
    on_done: str | None = None


class StateDef(Model):
    name: str
    type: Annotated[StateType, _FROM_TEXT] = StateType.STABLE
    description: str = ""
    parent: str | None = None
    initial_child: str | None = None
    regions: list[RegionDef] = Field(default_factory=list)
    on_enter: list[ActionItem] = Field(default_factory=list)
    on_exit: list[ActionItem] = Field(default_factory=list)
    invoke: list[InvokeDef] = Field(default_factory=list)
    timeout: TimeoutDef | None = None
    group: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    renamed_from: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "renamed_from" in data:
                renamed = data["renamed_from"]
                data["renamed_from"] = (
                    [] if renamed is None else [renamed] if isinstance(renamed, str) else renamed
                )
            for key in ("on_enter", "on_exit"):
                if key in data:
                    data[key] = _as_list(data[key])
        return data


# -- transitions ----------------------------------------------------------------


class TransitionDef(Model):
    trigger: str | None = None
    source: str | list[str]
    dest: str
    region: str | None = None
    guards: list[GuardItem] = Field(default_factory=list)
    actions: list[ActionItem] = Field(default_factory=list)
    after: int | str | None = None
    internal: bool = False
    auto: bool = False
    priority: int | None = None
    description: str = ""
    ref: str | None = None
    refs: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("guards", "actions"):
                if key in data:
                    data[key] = _as_list(data[key])
        return data


# -- declarations -----------------------------------------------------------------


class VariableDef(Model):
    key: str
    type: str | None = None
    description: str = ""
    default: Any = None
    required: bool = False


def _text_or_mapping(value: Any) -> str:
    """The tag of an item a file may write as one string or as a full mapping."""
    return "text" if isinstance(value, str) else "full"


VariableItem = Annotated[
    Annotated[str, Tag("text")] | Annotated[VariableDef, Tag("full")],
    Discriminator(_text_or_mapping),
]


class PayloadFieldDef(Model):
    type: str = "any"
    required: bool = True
    description: str = ""


PayloadItem = Annotated[
    Annotated[str, Tag("text")] | Annotated[PayloadFieldDef, Tag("full")],
    Discriminator(_text_or_mapping),
]


class EventDef(Model):
    name: str
    description: str = ""
    payload: dict[str, PayloadItem] = Field(default_factory=dict)


class HandlerDef(Model):
    """An entry of `action_definitions` / `guard_definitions` (documentation)."""

    name: str
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    is_async: bool = Field(default=False, alias="async")


class MetaDef(Model):
    version: str | None = None
    machine_name: str | None = None
    strict_mode: bool = True
    event_normalizer: Literal["lower", "upper"] | None = None
    description: str | None = None
    validate_context: bool = False
    state_variables: list[VariableItem] | None = None


class ErrorPolicyDef(Model):
    default_fallback: str | None = None
    retry_attempts: int = Field(default=0, ge=0, le=100)


class MachineConfig(Model):
    """The root of a machine file."""

    meta: MetaDef = Field(default_factory=MetaDef)
    description: str | None = None
    groups: dict[str, Any] | None = None
    states: list[StateDef]
    transitions: list[TransitionDef] = Field(default_factory=list)
    error_policy: ErrorPolicyDef | None = None
    state_variables: list[VariableItem] | None = None
    events: list[EventDef] | None = None
    action_definitions: list[HandlerDef] | None = None
    guard_definitions: list[HandlerDef] | None = None


def keys_of(model: type[BaseModel]) -> set[str]:
    """The keys a mapping of `model` may hold, as the YAML spells them."""
    return {info.alias or name for name, info in model.model_fields.items()}


# Keys where a machine file may give one item, or null, instead of a list (`_as_list`).
_ITEM_OR_LIST = {
    "StateDef": ("on_enter", "on_exit", "renamed_from"),
    "TransitionDef": ("guards", "actions"),
}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a machine file, from the models above; for editors and linters."""
    schema = MachineConfig.model_json_schema()
    for model, keys in _ITEM_OR_LIST.items():
        properties = schema["$defs"][model]["properties"]
        for key in keys:
            listed = dict(properties[key])
            title = listed.pop("title", key)
            default = listed.pop("default", [])
            properties[key] = {
                "anyOf": [listed, listed["items"], {"type": "null"}],
                "default": default,
                "title": title,
            }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": "pystator state machine",
        "description": "A state machine for pystator-gen: states, transitions, guards, actions.",
    }
