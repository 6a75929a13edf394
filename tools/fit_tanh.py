"""Fits the rational tanh of crates/core/src/kernels/activation.rs (`tanh_rational`).

tanh(x) ~ x P(x^2) / Q(x^2) on [0, 9] (beyond, float32 tanh rounds to 1 and the kernel clamps),
P and Q of degree 4 with P(0) = Q(0) = 1, minimising the largest relative error: Lawson's
iteratively reweighted least squares on the linearised residual x P(u) / t - Q(u) (t = tanh x),
in u / 81 for conditioning. Prints the float32 coefficients (highest degree first, as the
Horner loops use them) and the error of the float32 evaluation with fused multiply-adds.

    tools/.venv/bin/python tools/fit_tanh.py
"""

import numpy as np

LIMIT = 9.0
DEGREE = 4


def fit(iterations: int = 3000) -> tuple[np.ndarray, np.ndarray, float]:
    x = np.concatenate([np.linspace(0, 1, 40001)[1:], np.linspace(1, LIMIT, 80001)])
    t = np.tanh(x)
    scale = LIMIT * LIMIT
    v = x * x / scale
    columns = [x * v**k / t for k in range(DEGREE + 1)] + [-(v**k) for k in range(1, DEGREE + 1)]
    a = np.stack(columns, axis=1)
    weights = np.full(len(x), 1.0 / len(x))
    best = (np.inf, None, None)
    for _ in range(iterations):
        root = np.sqrt(weights)
        c, *_ = np.linalg.lstsq(a * root[:, None], root, rcond=None)
        p, q = c[: DEGREE + 1], np.concatenate([[1.0], c[DEGREE + 1 :]])
        approx = x * np.polyval(p[::-1], v) / np.polyval(q[::-1], v)
        error = np.abs(approx / t - 1)
        if error.max() < best[0]:
            best = (error.max(), p, q)
        weights = weights * (error + 1e-30)
        weights /= weights.sum()
    worst, p, q = best
    unscale = scale ** -np.arange(DEGREE + 1)
    return (p * unscale).astype(np.float32), (q * unscale).astype(np.float32), worst


def evaluate_f32(x: np.float32, p: np.ndarray, q: np.ndarray) -> np.float32:
    """The kernel's arithmetic: each multiply-add rounded once to float32."""
    f64, f32 = np.float64, np.float32
    u = f32(f64(x) * f64(x))
    num, den = p[-1], q[-1]
    for c in p[-2::-1]:
        num = f32(f64(num) * f64(u) + f64(c))
    for c in q[-2::-1]:
        den = f32(f64(den) * f64(u) + f64(c))
    value = f32(f64(f32(f64(x) * f64(num))) / f64(den))
    return min(max(value, f32(-1)), f32(1))


def main() -> None:
    p, q, worst = fit()
    print(f"fit: largest relative error {worst:.3e} in float64")
    print("P (x^8 .. x^0):", ", ".join(repr(float(c)) for c in p[::-1]))
    print("Q (x^8 .. x^0):", ", ".join(repr(float(c)) for c in q[::-1]))
    grid = np.arange(0, 100000, 3, dtype=np.float64) * 1e-4
    got = np.array([evaluate_f32(np.float32(g), p, q) for g in grid.astype(np.float32)])
    want = np.tanh(grid.astype(np.float32).astype(np.float64))
    print(f"float32 evaluation: largest absolute error {np.abs(got - want).max():.3e}")
    print(f"at the clamp: {evaluate_f32(np.float32(LIMIT), p, q)!r}")


if __name__ == "__main__":
    main()
