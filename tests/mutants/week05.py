"""Reviewed equivalent mutants of week05 (benchmarks/mutants.py): {exercise: {mutant key: why it
behaves like the solution on every valid input}}. A survivor not listed here is a hole in the tests."""

EQUIVALENT = {
    "week05-rnn-forward": {
        "const: params['Wh'].shape[0] -> params['Wh'].shape[1]":
            "the recurrent matrix Wh is square (H, H) by the contract, so both dimensions are the hidden size",
    },
}
