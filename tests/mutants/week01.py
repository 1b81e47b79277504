"""Reviewed equivalent mutants of week01 (benchmarks/mutants.py): {exercise: {mutant key: why it
behaves like the solution on every valid input}}. A survivor not listed here is a hole in the tests."""

EQUIVALENT = {
    "week01-activations": {
        "compare: np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)) -> np.where(z > 0, 1.0 / (1.0 + e), e / (1.0 + e))":
            "at z == 0 both branches are 1 / (1 + 1) = e / (1 + e) = 0.5 (and NaN stays NaN): the tie goes either way",
        "compare: np.where(z > 0, z, alpha * z) -> np.where(z >= 0, z, alpha * z)":
            "at z == 0 both branches are 0 (z and alpha * z, signed zero kept): leaky ReLU's tie goes either way",
    },
}
