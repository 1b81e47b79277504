"""Reviewed equivalent mutants of week09 (benchmarks/mutants.py): {exercise: {mutant key: why it
behaves like the solution on every valid input}}. A survivor not listed here is a hole in the tests."""

EQUIVALENT = {
    "week09-epsilon-greedy": {
        "compare: rng.random() < epsilon -> rng.random() <= epsilon":
            "differs only when rng.random() returns exactly epsilon (probability 2**-53 per call; "
            "epsilon = 0 and 1 behave the same since random() is in [0, 1)): no test can tell, no student loses",
    },
}
