"""Redis key layout: where an entity, its history and its idempotency records live, and the
upgrade of keys written by versions that keyed entities by id alone.

Names are length-prefixed (`6:orders`), so no two (machine, entity, key) triples share a key.
"""

from __future__ import annotations

from typing import Any

#: Stored under `{prefix}:layout` once the keys under the prefix follow this layout.
LAYOUT = b"2"

# KEYS: old hash, new hash, old history, new history, the id's machines set.
# ARGV: machine name, entity id. Moving a hash another process moved already is a no-op.
_MOVE = """
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[2], 'entity_id', ARGV[2])
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('RENAME', KEYS[3], KEYS[4]) end
redis.call('SADD', KEYS[5], ARGV[1])
return 1
"""


def part(text: str) -> str:
    """`text` with its length in front, so that the next part of a key cannot be confused
    with the rest of this one."""
    return f"{len(text)}:{text}"


def entity_key(prefix: str, machine_name: str, entity_id: str) -> str:
    return f"{prefix}:entity:{part(machine_name)}:{entity_id}"


def history_key(prefix: str, machine_name: str, entity_id: str) -> str:
    return f"{prefix}:history:{part(machine_name)}:{entity_id}"


def outcome_key(prefix: str, machine_name: str, entity_id: str, key: str) -> str:
    return f"{prefix}:outcome:{part(machine_name)}:{part(entity_id)}:{key}"


def machines_key(prefix: str, entity_id: str) -> str:
    """The set of the machines that have an entity `entity_id`."""
    return f"{prefix}:machines:{entity_id}"


def upgrade(client: Any, prefix: str) -> None:
    """Move the keys of earlier versions (`{prefix}:entity:{id}`, `{prefix}:history:{id}`,
    `{prefix}:outcome:{id}\\x1f{key}`) to this layout, once per prefix.

    Hashes of this layout carry an `entity_id` field, which tells the two apart; every
    step is idempotent, so processes connecting at once do no harm.
    """
    marker = f"{prefix}:layout"
    if client.get(marker) == LAYOUT:
        return
    move = client.register_script(_MOVE)
    start = f"{prefix}:entity:"
    machines: dict[str, str] = {}
    for raw in client.scan_iter(match=_glob(start) + "*", count=500):
        key = raw.decode()
        if client.hexists(key, "entity_id"):
            continue
        entity_id = key[len(start) :]
        machine = (client.hget(key, "machine_name") or b"").decode()
        move(
            keys=[
                key,
                entity_key(prefix, machine, entity_id),
                f"{prefix}:history:{entity_id}",
                history_key(prefix, machine, entity_id),
                machines_key(prefix, entity_id),
            ],
            args=[machine, entity_id],
        )
        machines[entity_id] = machine
    start = f"{prefix}:outcome:"
    for raw in client.scan_iter(match=_glob(start) + "*\x1f*", count=500):
        key = raw.decode()
        entity_id, _, idempotency_key = key[len(start) :].partition("\x1f")
        machine = machines.get(entity_id)
        if machine is None:
            found = client.smembers(machines_key(prefix, entity_id))
            if len(found) != 1:
                continue  # not a key of the old layout, or one whose entity is gone
            machine = next(iter(found)).decode()
        client.renamenx(key, outcome_key(prefix, machine, entity_id, idempotency_key))
    client.set(marker, LAYOUT)


def _glob(text: str) -> str:
    """`text` matched literally by a SCAN pattern."""
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)
