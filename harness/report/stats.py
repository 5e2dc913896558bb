"""Statistics for reports and gates. Pure functions: numbers and arrays in, numbers out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

Z95 = 1.959963984540054  # two-sided 95% normal quantile
DEFAULT_BOOT = 2000
DEFAULT_SEED = 20261124
_CHUNK_CELLS = 2_000_000  # resampled cells per block, to bound memory
_MAX_CATEGORIES = 512  # distinct rows up to which resampling goes through multinomial counts


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (nan, nan) when n == 0."""
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one instance with `c` successes in `n` attempts:
    1 - C(n-c, k) / C(n, k) (Chen et al. 2021)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def mean_pass_at_k(n: int, successes: Sequence[int] | np.ndarray, k: int) -> float:
    """Mean over instances of `pass_at_k(n, c, k)`; every instance has `n` attempts."""
    counts = np.asarray(successes, dtype=np.int64)
    if counts.size == 0:
        return math.nan
    values = np.array([pass_at_k(n, c, k) for c in range(n + 1)])
    return float(values[counts].mean())


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value: the discordant pairs against Binomial(b + c, 1/2)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1))
    return min(1.0, 2 * tail / 2**n)


def _resampled_sums(columns: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Bootstrap over rows: (n_boot, m) column sums of `columns` (n, m) resampled with
    replacement. Rows with few distinct values (resolved counts) are resampled as multinomial
    counts of those values, which is the same distribution and much faster."""
    rng = np.random.default_rng(seed)
    n = columns.shape[0]
    values, counts = np.unique(columns, axis=0, return_counts=True)
    if len(values) <= _MAX_CATEGORIES:
        draws = rng.multinomial(n, counts / n, size=n_boot)
        return draws @ values
    block = max(1, _CHUNK_CELLS // max(n, 1))
    out = np.empty((n_boot, columns.shape[1]))
    for start in range(0, n_boot, block):
        size = min(block, n_boot - start)
        index = rng.integers(0, n, size=(size, n))
        out[start:start + size] = columns[index].sum(axis=1)
    return out


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return float(lo), float(hi)


def bootstrap_ratio(numerator: Sequence[float] | np.ndarray,
                    denominator: Sequence[float] | np.ndarray, *, n_boot: int = DEFAULT_BOOT,
                    seed: int = DEFAULT_SEED, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of sum(numerator) / sum(denominator), resampling instances (rows)
    with replacement. With every denominator equal this is the mean of per-instance rates."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    if num.size == 0:
        return math.nan, math.nan
    sums = _resampled_sums(np.column_stack([num, den]), n_boot, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _percentiles(sums[:, 0] / sums[:, 1], level)


def paired_bootstrap_diff(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, *,
                          n_boot: int = DEFAULT_BOOT, seed: int = DEFAULT_SEED,
                          level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of mean(a) - mean(b) for paired per-instance values, resampling
    instances (the pairs) with replacement."""
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError("paired values must have the same length")
    if x.size == 0:
        return math.nan, math.nan
    sums = _resampled_sums((x - y).reshape(-1, 1), n_boot, seed)
    return _percentiles(sums[:, 0] / x.size, level)



def t_quantile(p: float, df: int) -> float:
    """Student's t quantile: exact for 1 and 2 degrees of freedom, else the Cornish-Fisher
    expansion of Abramowitz & Stegun 26.7.5 (within 0.005 of the exact value from 3 on)."""
    if df < 1 or not 0 < p < 1:
        raise ValueError("t_quantile needs df >= 1 and 0 < p < 1")
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    x = NormalDist().inv_cdf(p)
    g = [(x**3 + x) / 4, (5 * x**5 + 16 * x**3 + 3 * x) / 96,
         (3 * x**7 + 19 * x**5 + 17 * x**3 - 15 * x) / 384,
         (79 * x**9 + 776 * x**7 + 1482 * x**5 - 1920 * x**3 - 945 * x) / 92160]
    return x + sum(term / df ** (k + 1) for k, term in enumerate(g))


def t_total_interval(values: Sequence[float] | np.ndarray, n_future: int, *,
                     level: float = 0.95) -> tuple[float, float, float]:
    """(expected, low, high) for the total of `n_future` new draws from the distribution
    that `values` (n >= 2 measured draws) came from: the Student-t prediction interval
    N x mean +- t(n-1) x s x sqrt(N + N^2 / n), which counts both the spread of N new draws
    (N s^2) and the uncertainty of the measured mean (N^2 s^2 / n). (nan, nan, nan) for
    n < 2."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n < 2:
        return math.nan, math.nan, math.nan
    expected = n_future * float(x.mean())
    half = (t_quantile(0.5 + level / 2, n - 1) * float(x.std(ddof=1))
            * math.sqrt(n_future + n_future**2 / n))
    return expected, expected - half, expected + half
