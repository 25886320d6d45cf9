"""Small-sample cluster-robust inference: CR2 with Satterthwaite degrees of freedom, and the wild
cluster bootstrap.

Every panel model of the package is, at its estimate, a weighted least-squares fit
``b = M X' W y`` with ``M = (X' W X)^-1``, a block-diagonal weight ``W = Phi^-1`` (one block per
athlete) given by a *working model* ``Phi`` of the covariance of an athlete's rows: the identity
for OLS and fixed effects, the estimated marginal covariance ``V = sigma^2 (I + Z Psi Z')`` for a
mixed model, the working correlation for GEE. :class:`ClusterRobust` computes for any such fit:

- the **CR2** ("bias-reduced linearisation", Bell & McCaffrey 2002) sandwich
  ``M (sum_j X_j' W_j A_j e_j e_j' A_j W_j X_j) M`` with the adjustment matrices
  ``A_j = D_j' B_j^{-1/2} D_j``, ``Phi_j = D_j' D_j`` (upper Cholesky factor) and
  ``B_j = D_j [(I - H) Phi (I - H)']_jj D_j'``, so that the estimator is exactly unbiased when the
  working model is right (Pustejovsky & Tipton 2018, JBES 36(4):672-683, eq. 4-5); symmetric
  inverse square roots are Moore-Penrose ones (as in R's clubSandwich);
- the **Satterthwaite degrees of freedom** of any contrast ``c'b`` (Bell & McCaffrey 2002;
  Pustejovsky & Tipton 2018, section 3.1): with ``p_j = A_j W_j X_j M c`` and ``Omega`` the
  covariance of the residuals under the working model, ``df = (sum_j S_jj)^2 / sum_ij S_ij^2``
  where ``S_ij = p_i' Omega_ij p_j``. When ``W = Phi^-1`` (always here), ``S = D - B' M B`` with
  ``D_j = p_j' Phi_j p_j`` and ``B`` the p x G matrix of ``X_j' p_j``, so the double sum costs
  ``O(G p^2)``, not ``O(G^2)``;
- the **restricted wild cluster bootstrap** (WCR; Cameron, Gelbach & Miller 2008) of a contrast,
  with Rademacher or Webb six-point weights: the p-value of ``c'b = b0`` and the confidence
  interval by test inversion (the bootstrap t statistics are exact functions of ``b0``, so the
  inversion needs no refitting).

Fixed-effects fits pass ``absorbed=True``: the design and residuals were centred within athletes
(the athlete dummies absorbed), so ``(I - H)_jj`` also loses ``J / n_j``; the CR2 matrices and
degrees of freedom are then those of the regression with the dummies, as clubSandwich computes
them for ``lm(y ~ x + factor(athlete))`` (Pustejovsky & Tipton 2018, Theorem 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

__all__ = ["ClusterRobust", "RandomEffectsPhi", "WildResult", "webb_weights"]

_EIG_TOL = 1e-12  # relative eigenvalue below which an inverse square root treats it as 0
_CHUNK_ELEMENTS = 4_000_000  # padded per-cluster arrays are built in chunks of this many floats


def webb_weights(size: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Webb's (2023) six-point weights: +-sqrt(1/2), +-1, +-sqrt(3/2) with equal probability."""
    points = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
    return points[rng.integers(0, 6, size=size)]


def _inv_sqrt_psd(mats: np.ndarray) -> np.ndarray:
    """Symmetric Moore-Penrose inverse square roots of a stack of symmetric PSD matrices."""
    vals, vecs = np.linalg.eigh(mats)
    top = np.max(np.abs(vals), axis=-1, keepdims=True)
    keep = vals > _EIG_TOL * np.maximum(top, 1e-300)
    inv = np.where(keep, 1.0 / np.sqrt(np.where(keep, vals, 1.0)), 0.0)
    return np.einsum("gij,gj,gkj->gik", vecs, inv, vecs)


@dataclass(frozen=True)
class RandomEffectsPhi:
    """The working covariance of a mixed model, ``Phi_j = scale (I + Z_j Psi Z_j')``.

    Given to :class:`ClusterRobust` as ``phi`` instead of one matrix per cluster: every power of
    ``Phi_j`` then comes from the rank-q eigen decomposition of ``Z_j Psi Z_j'`` (thin SVD of
    ``Z_j R``, ``Psi = R R'``), so no per-cluster Cholesky factor or solve is needed. With a
    symmetric root ``D_j = Phi_j^{1/2}`` the CR2 adjustment is the same as with the Cholesky
    factor (``A_j`` does not depend on which square root is used).

    Parameters
    ----------
    z : numpy.ndarray
        Random-effects design, n x q, rows in the order of ``x``.
    psi : numpy.ndarray
        q x q random-effects covariance relative to ``scale`` (positive semi-definite).
    scale : float
        Residual variance ``sigma^2``.
    """

    z: np.ndarray
    psi: np.ndarray
    scale: float

    def root(self) -> np.ndarray:
        """``R`` with ``Psi = R R'`` (eigen decomposition; tolerates a singular ``Psi``)."""
        vals, vecs = np.linalg.eigh((np.asarray(self.psi) + np.asarray(self.psi).T) / 2)
        return vecs * np.sqrt(np.clip(vals, 0.0, None))


@dataclass(frozen=True)
class WildResult:
    """A wild cluster bootstrap test of one contrast.

    Attributes
    ----------
    p_value : float
        Share of bootstrap |t*| at least the observed |t| under ``c'b = null``.
    ci_low, ci_high : float
        Confidence interval by test inversion (the set of ``b0`` not rejected at ``1 - level``).
    n_boot : int
    weights : str
        ``"rademacher"`` or ``"webb"``.
    """

    p_value: float
    ci_low: float
    ci_high: float
    n_boot: int
    weights: str


@dataclass
class ClusterRobust:
    """CR2 covariance, Satterthwaite degrees of freedom and wild bootstrap of a clustered WLS fit.

    Parameters
    ----------
    x : numpy.ndarray
        Design, n x p (full column rank).
    resid : numpy.ndarray
        Residuals ``y - X b`` (length n).
    cluster : array_like
        Cluster label of every row.
    phi : list of numpy.ndarray or RandomEffectsPhi, optional
        Working covariance of each cluster's rows (in the order of ``numpy.unique(cluster)`` and,
        within a cluster, in row order), or a mixed model's (:class:`RandomEffectsPhi`, the fast
        path); None: the identity (OLS).
    absorbed : bool, default False
        ``x`` and ``resid`` are centred within clusters (cluster fixed effects absorbed); only
        with ``phi=None``.

    Attributes
    ----------
    vcov : numpy.ndarray
        CR2 covariance of ``b`` (p x p).
    bread : numpy.ndarray
        ``M = (X' W X)^-1``.
    n_clusters : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(8), 5)
    >>> x = np.column_stack([np.ones(40), rng.normal(size=40)])
    >>> y = x @ [1.0, 0.5] + rng.normal(size=8)[g] + rng.normal(size=40)
    >>> b = np.linalg.lstsq(x, y, rcond=None)[0]
    >>> cr = ClusterRobust(x, y - x @ b, g)
    >>> cr.n_clusters, round(float(cr.df([0, 1])), 2) < 7
    (8, True)
    """

    x: np.ndarray
    resid: np.ndarray
    cluster: np.ndarray
    phi: list | RandomEffectsPhi | None = None
    absorbed: bool = False
    vcov: np.ndarray = field(init=False, repr=False)
    bread: np.ndarray = field(init=False, repr=False)
    n_clusters: int = field(init=False)

    def __post_init__(self) -> None:
        x = np.asarray(self.x, dtype=float)
        e = np.asarray(self.resid, dtype=float)
        codes, _ = _codes(self.cluster)
        order = np.argsort(codes, kind="stable")
        # row-major, so that a run of clusters of equal size can be read as a k x n_j x p stack
        # without copying (see _cr2_chunk)
        x, e, codes = np.ascontiguousarray(x[order]), e[order], codes[order]
        self._order = order
        n, p = x.shape
        sizes = np.bincount(codes)
        n_g = sizes.size
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        self.n_clusters = int(n_g)
        self._codes, self._sizes, self._starts = codes, sizes, starts
        if self.absorbed and self.phi is not None:
            raise ValueError("absorbed=True needs phi=None (cluster fixed effects in OLS)")
        # W_j X_j and M
        self._zr = None
        if self.phi is None:
            wx = x
        elif isinstance(self.phi, RandomEffectsPhi):
            self._zr = np.asarray(self.phi.z, dtype=float)[order] @ self.phi.root()
            wx = self._re_solve(x, starts)
        else:
            wx = np.empty_like(x)
            for j in range(n_g):
                sl = slice(starts[j], starts[j] + sizes[j])
                wx[sl] = np.linalg.solve(np.asarray(self.phi[j], dtype=float), x[sl])
        bread = np.linalg.inv(x.T @ wx)
        bread = (bread + bread.T) / 2
        t_mat = np.empty_like(x)  # A_j W_j X_j, stacked
        phi_t = np.empty_like(x)  # Phi_j A_j W_j X_j, stacked
        nmax = int(sizes.max())
        chunk = max(1, _CHUNK_ELEMENTS // max(1, nmax * nmax))
        for lo in range(0, n_g, chunk):
            hi = min(n_g, lo + chunk)
            self._cr2_chunk(lo, hi, x, wx, bread, t_mat, phi_t, nmax)
        u = _cluster_weights(e[:, None], codes, n_g) @ t_mat  # X_j' W_j A_j e_j
        meat = u.T @ u
        self.vcov = bread @ meat @ bread
        self.bread = bread
        self._x, self._wx, self._e = x, wx, e
        self._t, self._phi_t, self._u = t_mat, phi_t, u

    def _cr2_chunk(self, lo, hi, x, wx, bread, t_mat, phi_t, nmax) -> None:
        sizes, starts = self._sizes[lo:hi], self._starts[lo:hi]
        k = hi - lo
        if np.all(sizes == nmax):
            # clusters of equal size: the padded stacks are views of the sorted rows
            block = slice(starts[0], starts[0] + k * nmax)
            real = np.ones((k, nmax), dtype=bool)
            idx = np.arange(block.start, block.stop).reshape(k, nmax)
            xs = x[block].reshape(k, nmax, -1)
        else:
            block = None
            idx = starts[:, None] + np.arange(nmax)[None, :]
            real = np.arange(nmax)[None, :] < sizes[:, None]
            idx = np.where(real, idx, 0)
            xs = np.where(real[:, :, None], x[idx], 0.0)  # k x nmax x p
        if self._zr is not None:
            ts, pts = self._re_adjusted(idx, real, xs, bread, block)
        else:
            wxs = np.where(real[:, :, None], wx[idx], 0.0)
            ts, pts = self._dense_adjusted(lo, k, sizes, nmax, real, xs, wxs, bread)
        if block is not None:
            t_mat[block] = ts.reshape(-1, ts.shape[-1])
            phi_t[block] = pts.reshape(-1, pts.shape[-1])
        else:
            rows = idx[real]
            t_mat[rows] = ts[real]
            phi_t[rows] = pts[real]

    def _dense_adjusted(self, lo, k, sizes, nmax, real, xs, wxs, bread):
        """``A_j W_j X_j`` and ``Phi_j A_j W_j X_j`` from the per-cluster matrices."""
        eye = np.broadcast_to(np.eye(nmax), (k, nmax, nmax))
        if self.phi is None:
            phi = eye.copy()
        else:
            phi = eye.copy()
            for j in range(k):
                nj = sizes[j]
                phi[j, :nj, :nj] = np.asarray(self.phi[lo + j], dtype=float)
        # Omega_jj = Phi_j - X_j M X_j' (W = Phi^-1), minus J/n_j when athlete means are absorbed
        omega = phi - (xs @ bread) @ np.swapaxes(xs, 1, 2)
        if self.absorbed:
            jn = (real[:, :, None] & real[:, None, :]) / sizes[:, None, None]
            omega = omega - jn
        if self.phi is None:
            a = _inv_sqrt_psd(omega)
        else:
            lower = np.linalg.cholesky(phi)  # Phi = L L' = D' D with D = L'
            d = np.swapaxes(lower, 1, 2)
            b = d @ omega @ lower
            a = lower @ _inv_sqrt_psd(b) @ d
        ts = a @ wxs  # k x nmax x p
        return ts, phi @ ts

    def _re_solve(self, x: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """``Phi_j^-1 X_j`` for every cluster by Woodbury's identity (rows sorted by cluster):
        ``Phi^-1 = (I - Z R M^-1 R' Z') / scale`` with ``M = I + R' Z'Z R``."""
        zr, q = self._zr, self._zr.shape[1]
        m = np.add.reduceat(zr[:, :, None] * zr[:, None, :], starts, axis=0) + np.eye(q)
        # (Z R)_j' X_j of every cluster as one sparse product (no n x p temporaries)
        sums = _cluster_weights(zr, self._codes, m.shape[0])
        zrx = (sums @ x).reshape(m.shape[0], q, x.shape[1])
        c = np.linalg.solve(m, zrx)  # g x q x p
        return (x - sums.T @ c.reshape(-1, x.shape[1])) / self.phi.scale

    def _re_adjusted(self, idx, real, xs, bread, block=None):
        """``A_j W_j X_j`` and ``Phi_j A_j W_j X_j`` for a mixed model's working covariance.

        With ``P = Phi^{1/2}``: ``B = P Omega P = Phi^2 - (P X) M (P X)'`` and
        ``A W X = P B^{-1/2} P^{-1} X``; powers of ``Phi`` come from the thin SVD of ``Z R``.
        """
        scale = float(self.phi.scale)
        if block is not None:
            zrs = self._zr[block].reshape(xs.shape[0], xs.shape[1], -1)
        else:
            zrs = np.where(real[:, :, None], self._zr[idx], 0.0)  # k x nmax x q
        u, sv, _ = np.linalg.svd(zrs, full_matrices=False)
        lam = sv**2
        ut = np.swapaxes(u, 1, 2)

        def powers(mats: np.ndarray, *exponents: float) -> list[np.ndarray]:
            """``Phi^a @ mats`` for each exponent ``a`` (padded rows: ``scale^a`` times the
            identity), from one projection on ``U``."""
            proj = ut @ mats
            return [scale**a * (mats + u @ (((1.0 + lam) ** a - 1.0)[:, :, None] * proj))
                    for a in exponents]

        nmax = xs.shape[1]
        px, y = powers(xs, 0.5, -0.5)
        # Phi^2 = scale^2 (I + U ((1 + lam)^2 - 1) U')
        phi2 = (u * ((1.0 + lam) ** 2 - 1.0)[:, None, :]) @ ut
        phi2[:, np.arange(nmax), np.arange(nmax)] += 1.0
        phi2 *= scale**2
        b = phi2 - (px @ bread) @ np.swapaxes(px, 1, 2)
        vals, vecs = np.linalg.eigh(b)
        top = np.max(np.abs(vals), axis=-1, keepdims=True)
        keep = vals > _EIG_TOL * np.maximum(top, 1e-300)
        inv = np.where(keep, 1.0 / np.sqrt(np.where(keep, vals, 1.0)), 0.0)
        inner = vecs @ (inv[:, :, None] * (np.swapaxes(vecs, 1, 2) @ y))  # B^{-1/2} P^{-1} X
        ts, pts = powers(inner, 0.5, 1.5)  # P B^{-1/2} P^{-1} X and Phi times it
        return ts, pts

    # ----------------------------------------------------------------------------------------
    def se(self, c) -> float:
        """CR2 standard error of the contrast ``c'b``."""
        c = np.asarray(c, dtype=float)
        return float(np.sqrt(max(c @ self.vcov @ c, 0.0)))

    def df(self, c) -> float:
        """Satterthwaite degrees of freedom of the CR2 variance of ``c'b``."""
        c = np.asarray(c, dtype=float)
        m = self.bread @ c
        pv = self._t @ m  # p_j stacked
        d = np.add.reduceat(pv * (self._phi_t @ m), self._starts)
        bmat = _cluster_weights(pv[:, None], self._codes, self.n_clusters) @ self._x
        bm = bmat @ self.bread
        diag_bmb = np.einsum("ga,ga->g", bm, bmat)
        gram = self.bread @ (bmat.T @ bmat)
        expect = float(d.sum() - diag_bmb.sum())
        var = float((d**2).sum() - 2 * (d * diag_bmb).sum() + np.einsum("ab,ba->", gram, gram))
        if not (var > 0 and expect > 0):
            return float("nan")
        return expect**2 / var

    # ----------------------------------------------------------------------------------------
    def wild(
        self,
        c,
        *,
        estimate: float,
        null: float = 0.0,
        level: float = 0.95,
        n_boot: int = 9999,
        weights: str = "auto",
        rng=None,
    ) -> WildResult:
        """Restricted wild cluster bootstrap test and interval for the contrast ``c'b``.

        Bootstrap samples ``y* = X b_r + e_r * v_g`` with ``b_r`` the fit under
        ``c'b = b0`` and ``e_r`` its residuals, ``v_g`` one weight per cluster; the statistic is
        ``(c'b - b0) / se`` with the CR0 sandwich of the same weighted fit (a constant factor
        such as CR1's cancels). ``weights="auto"`` uses Webb's six-point weights below 12
        clusters (Rademacher weights give only 2^G distinct samples) and Rademacher weights
        otherwise.

        Parameters
        ----------
        c : array_like
            Contrast vector (length p).
        estimate : float
            ``c'b`` at the unrestricted fit.
        null : float, default 0
        level : float, default 0.95
        n_boot : int, default 9999
        weights : {"auto", "rademacher", "webb"}
        rng : seed or numpy.random.Generator

        Returns
        -------
        WildResult
        """
        if weights == "auto":
            weights = "webb" if self.n_clusters < 12 else "rademacher"
        if weights not in ("rademacher", "webb"):
            raise ValueError(f"weights must be 'auto', 'rademacher' or 'webb', got {weights!r}")
        gen = np.random.default_rng(rng)
        size = (self.n_clusters, int(n_boot))
        v = webb_weights(size, gen) if weights == "webb" else gen.choice([-1.0, 1.0], size=size)
        c = np.asarray(c, dtype=float)
        m = self.bread @ c
        dvec = self._wx @ m  # W X M c, stacked
        cmc = float(c @ m)
        h = (self._x @ m) / cmc  # restricted residual = e + h * delta

        starts = self._starts

        def parts(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            a = np.add.reduceat(dvec * r, starts)
            e_mat = np.add.reduceat(self._wx * r[:, None], starts, axis=0)
            return a, e_mat

        a0, e0 = parts(self._e)
        a1, e1 = parts(h)
        f = np.add.reduceat(self._x * dvec[:, None], starts, axis=0) @ self.bread  # d_g' X_g M
        k0 = np.diag(a0) - f @ e0.T
        k1 = np.diag(a1) - f @ e1.T
        num0, num1 = a0 @ v, a1 @ v
        kv0, kv1 = k0 @ v, k1 @ v
        se0 = float(np.sqrt((a0**2).sum()))

        def pvalue(delta: float) -> float:
            t_obs = abs(delta) / se0
            den = np.sqrt(((kv0 + delta * kv1) ** 2).sum(axis=0))
            with np.errstate(divide="ignore", invalid="ignore"):
                t_star = np.abs(num0 + delta * num1) / den
            return float(np.mean(t_star >= t_obs - 1e-12))

        p_null = pvalue(estimate - null)
        alpha = 1 - level
        lo = _invert(pvalue, alpha, se0, sign=-1.0)
        hi = _invert(pvalue, alpha, se0, sign=1.0)
        # delta = estimate - b0, so b0 = estimate - delta
        return WildResult(p_value=p_null, ci_low=estimate - hi, ci_high=estimate - lo,
                          n_boot=int(n_boot), weights=weights)


def _invert(pvalue, alpha: float, scale: float, *, sign: float) -> float:
    """Largest |delta| (on the side ``sign``) whose bootstrap p-value is above ``alpha``."""
    inside = 0.0
    step = scale if scale > 0 else 1.0
    outside = sign * step
    for _ in range(60):
        if pvalue(outside) <= alpha:
            break
        inside, outside = outside, outside * 2
    else:
        return float(sign * np.inf)
    for _ in range(60):
        mid = (inside + outside) / 2
        if pvalue(mid) > alpha:
            inside = mid
        else:
            outside = mid
        if abs(outside - inside) < 1e-6 * step:
            break
    return float((inside + outside) / 2)


def _cluster_weights(weights: np.ndarray, codes: np.ndarray, n_clusters: int
                     ) -> sparse.csr_matrix:
    """Sparse ``(G q) x n`` matrix ``S`` with ``S[g q + j, i] = weights[i, j]`` for the rows
    ``i`` of cluster ``g``: ``S @ X`` stacks the clusters' ``weights_g' X_g`` without forming
    an n x p product, and ``S.T @ C`` spreads per-cluster rows back to the rows."""
    n, q = weights.shape
    rows = (codes[:, None] * q + np.arange(q)[None, :]).ravel()
    cols = np.repeat(np.arange(n), q)
    return sparse.csr_matrix((weights.ravel(), (rows, cols)), shape=(n_clusters * q, n))


def _codes(labels) -> tuple[np.ndarray, np.ndarray]:
    uniques, codes = np.unique(np.asarray(labels), return_inverse=True)
    return codes.astype(np.int64), uniques
