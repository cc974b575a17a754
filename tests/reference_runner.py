"""Runs machines and event walks through the reference pystator 0.0.10.

Executed by tests/test_reference.py inside a throw-away virtual environment that holds the
reference; reads JSON cases on stdin and prints one JSON outcome per processed event.
"""

from __future__ import annotations

import json
import sys
import warnings

warnings.simplefilter("ignore")

from pystator import StateMachine  # noqa: E402  (the reference, in its own environment)


def run_parallel(machine: StateMachine, case: dict) -> list:
    config = machine.enter_parallel_state(case["parallel"])
    steps = []
    for trigger, context in case["steps"]:
        config, results = machine.process_parallel(config, trigger, context)
        moved = [[r.success, r.target_state, list(r.all_actions)] for r in results]
        steps.append([dict(config.region_states), moved])
    return steps


def main() -> None:
    cases = json.load(sys.stdin)
    outcomes = []
    for case in cases:
        machine = StateMachine.from_dict(case["config"])
        if "parallel" in case:
            outcomes.append(run_parallel(machine, case))
            continue
        steps = []
        for state, trigger, context in case["steps"]:
            result = machine.process(state, trigger, context)
            steps.append([result.success, result.target_state, list(result.all_actions)])
        outcomes.append(steps)
    json.dump(outcomes, sys.stdout)


if __name__ == "__main__":
    main()
