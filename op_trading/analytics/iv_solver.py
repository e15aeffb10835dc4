"""Numerical core of implied volatility: the normalised Black price and its inverse, vectorised.

Every Black-Scholes / Black-76 inversion reduces to one dimensionless problem (Jäckel, "Let's Be Rational", 2015):
with x = ln(F/K) and s = sigma*sqrt(t), the out-of-the-money option price divided by sqrt(F*K) is

    b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2)        (a call, x <= 0)

Working on the OTM side keeps full relative precision (an ITM price is intrinsic + a possibly tiny time value), and
b is increasing in s from 0 to e^{x/2}. It is convex below s_c = sqrt(2|x|) and concave above, so the two sides are
solved with different objectives that are close to linear in s there:

    lower side (beta < b(s_c)):  ln b(s) - ln beta
    upper side:                  ln(b_max - beta) - ln(b_max - b(s))

Both are evaluated with the scaled complementary error function erfcx, which never underflows, so prices down to
1e-300 are inverted as accurately as at-the-money ones. Two third-order Householder steps from a closed-form
asymptotic start are taken on every element; the ~1/4 of market-like inputs that have not converged by then get
more steps on a shrinking subset (one more, almost always), with a bracket that forbids crossing s_c. Measured
accuracy is ~1e-12 in sigma on market-like inputs (tests/performance/bench_iv.py). An element that still has not
converged after EXTRA_STEPS is NaN, never a guess.

scipy.special is imported inside the functions: it costs ~0.15-0.35 s and the menus must not pay it.
"""

from __future__ import annotations

import numpy as np

_SQRT2 = np.sqrt(2.0)
_SQRT_2PI = np.sqrt(2.0 * np.pi)
_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
_LOWER_MAP_SCALE = 3.0 * np.sqrt(3.0) / (2.0 * np.pi)
# Relative distance from a bound below which a price is rounding noise: 64 ulps, ~1.4e-14. A price that close to
# intrinsic or to the upper bound pins no volatility (any sigma from ~0 or to ~infinity reprices it), so it is NaN.
ROUNDING = 64 * np.finfo(float).eps

CHUNK = 8192  # options per block
FIXED_STEPS = 2  # on every element; about 3/4 of market-like inputs have converged after these
EXTRA_STEPS = 40  # on the subset that has not converged yet
CONVERGED_STEP = 1e-5  # a Householder step this small (relative) leaves an error of ~1e-13 (cubic convergence)


def normalised_otm_call(x, s):
    """b(x, s) for x <= 0 and s > 0 (arrays broadcast), accurate in relative terms even for tiny values."""
    from scipy.special import erfcx, ndtr

    x, s = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(s, dtype=float))
    with np.errstate(all="ignore"):
        h1 = x / s + 0.5 * s
        h2 = x / s - 0.5 * s
        # Where h1 < 0 both N() terms are small and close: factor out their common Gaussian (erfcx form).
        scaled = 0.5 * np.exp(-0.5 * (x * x) / (s * s) - 0.125 * s * s) * (erfcx(-h1 / _SQRT2) - erfcx(-h2 / _SQRT2))
        direct = np.exp(0.5 * x) * ndtr(h1) - np.exp(-0.5 * x) * ndtr(h2)
        return np.where(h1 < 0, scaled, direct)


def _householder_step(x, s, side, target):
    """Third-order step for f = side*(ln v(s) - target), v = b (side +1) or b_max - b (side -1)."""
    from scipy.special import erfcx

    inv_s = 1.0 / s
    h1 = x * inv_s + 0.5 * s
    h2 = x * inv_s - 0.5 * s
    # v = 0.5*exp(-x^2/(2s^2) - s^2/8) * q on both sides; b'(s) = exp(same)/sqrt(2pi), so |v'/v| = sqrt(2/pi)/q.
    q = erfcx(-side * h1 / _SQRT2) - side * erfcx(-h2 / _SQRT2)
    x2 = x * x
    log_v = -0.5 * x2 * inv_s * inv_s - 0.125 * s * s + np.log(0.5 * q)
    slope = _SQRT_2_OVER_PI / q  # f'(s), positive on both sides
    curv = x2 * inv_s ** 3 - 0.25 * s  # b''/b'
    curv_d = -3.0 * x2 * inv_s ** 4 - 0.25  # d/ds of b''/b'
    k2 = curv - side * slope  # f''/f'
    k3 = k2 * (curv - 2.0 * side * slope) + curv_d  # f'''/f'
    newton = -side * (log_v - target) / slope
    return newton * (1.0 + 0.5 * k2 * newton) / (1.0 + newton * (k2 + k3 * newton / 6.0))


def _keep_on_side(s, proposed, s_c, lower):
    """The root is below s_c on the lower side and above it on the upper side: never let a step cross it."""
    wild = ~np.isfinite(proposed)
    bad_lower = lower & (wild | (proposed <= 0.0) | (proposed > s_c))
    bad_upper = ~lower & (wild | (proposed < s_c))
    toward_s_c = 0.5 * (s + s_c)
    fixed = np.where(lower, np.where(proposed > s_c, toward_s_c, 0.5 * s), np.where(wild, 2.0 * s, toward_s_c))
    bad = bad_lower | bad_upper
    return np.where(bad, fixed, proposed), bad


def _initial_guess(x, beta, s_c, b_c, b_max, lower):
    """Asymptotic inverses on each side, bounded by the tangent at s_c (below it on the convex side, above on the
    concave side, by convexity)."""
    from scipy.special import ndtri

    tangent = s_c + (beta - b_c) * _SQRT_2PI / b_max
    # Lower: b ~ (2pi|x|/(3sqrt3)) N(-|x|/(sqrt3 s))^3 for small s (Jäckel's lower map), inverted.
    u = np.minimum(np.cbrt(_LOWER_MAP_SCALE * beta / -x), 0.5)
    guess_lower = np.minimum(-x / (np.sqrt(3.0) * np.abs(ndtri(u))), tangent)
    # Upper: b_max - b ~ 2cosh(x/2) N(-s/2) for large s, inverted.
    gap = np.minimum((b_max - beta) / (2.0 * np.cosh(0.5 * x)), 0.5)
    guess_upper = np.maximum(-2.0 * ndtri(gap), tangent)
    guess = np.where(lower, guess_lower, guess_upper)
    return np.where(np.isfinite(guess) & (guess > 0.0), guess, np.maximum(s_c, 0.1))


def implied_normalised_vol(x, beta):
    """s = sigma*sqrt(t) with b(x, s) = beta, for x <= 0 and 0 < beta < e^{x/2}; NaN where that has no solution
    or the iteration did not converge. 1-d float arrays of equal length in, one array out."""
    if x.size <= CHUNK:
        return _solve_block(x, beta)
    # Blocks small enough that the ~30 temporaries stay in the CPU cache: ~1.5x faster at 100k options.
    return np.concatenate([_solve_block(x[i:i + CHUNK], beta[i:i + CHUNK]) for i in range(0, x.size, CHUNK)])


def _solve_block(x, beta):
    from scipy.special import ndtr

    with np.errstate(all="ignore"):
        b_max = np.exp(0.5 * x)
        valid = (x <= 0.0) & (beta > 0.0) & (beta < b_max * (1.0 - ROUNDING))
        s_c = np.sqrt(-2.0 * x)
        b_c = 0.5 * b_max - np.exp(-0.5 * x) * ndtr(-s_c)
        lower = beta < b_c
        side = np.where(lower, 1.0, -1.0)
        target = np.log(np.where(lower, beta, b_max - beta))
        s = _initial_guess(x, beta, s_c, b_c, b_max, lower)
        for _ in range(FIXED_STEPS):
            proposed = s + _householder_step(x, s, side, target)
            proposed, guarded = _keep_on_side(s, proposed, s_c, lower)
            step = np.abs(proposed - s)
            s = proposed
        pending = valid & (guarded | ~(step <= CONVERGED_STEP * s))
        if pending.any():
            s = _refine(s, pending, x, s_c, lower, side, target)
        return np.where(valid, s, np.nan)


def _refine(s, pending, x, s_c, lower, side, target):
    """More steps for the elements that have not converged; NaN for those that never do."""
    index = np.flatnonzero(pending)
    s = s.copy()
    sub = (s[index], x[index], s_c[index], lower[index], side[index], target[index])
    for _ in range(EXTRA_STEPS):
        s_i, x_i, s_c_i, lower_i, side_i, target_i = sub
        proposed = s_i + _householder_step(x_i, s_i, side_i, target_i)
        proposed, guarded = _keep_on_side(s_i, proposed, s_c_i, lower_i)
        done = ~guarded & (np.abs(proposed - s_i) <= CONVERGED_STEP * s_i)
        s[index[done]] = proposed[done]
        keep = ~done
        index = index[keep]
        sub = (proposed[keep], x_i[keep], s_c_i[keep], lower_i[keep], side_i[keep], target_i[keep])
        if index.size == 0:
            return s
    s[index] = np.nan
    return s
