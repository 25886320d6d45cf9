"""CR2 with a mixed model's working covariance: the rank-q fast path equals per-cluster algebra."""

from __future__ import annotations

import numpy as np
import pytest

from soleus_analysis.models.robust import ClusterRobust, RandomEffectsPhi


def _case(sizes, *, q=2, singular=False, flat_slope_cluster=False, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(groups)  # rows of a cluster need not be contiguous
    n = groups.size
    t = rng.normal(size=n)
    if flat_slope_cluster:
        t[groups == 0] = 1.5  # Z_j of cluster 0 has rank 1
    x = np.column_stack([np.ones(n), t, rng.normal(size=(n, 3))])
    z = np.column_stack([np.ones(n), t])[:, :q]
    psi = np.array([[1.3, 0.4], [0.4, 0.5]])[:q, :q]
    if singular:
        psi = np.outer([1.0, 0.6], [1.0, 0.6])[:q, :q]  # correlation +1
    resid = rng.normal(size=n) * 1.7
    return x, z, groups, psi, resid


def _dense(x, z, groups, psi, resid, scale):
    phi = []
    for g in np.unique(groups):
        zj = z[groups == g]
        phi.append(scale * (np.eye(len(zj)) + zj @ psi @ zj.T))
    return ClusterRobust(x, resid, groups, phi=phi)


@pytest.mark.parametrize(
    "sizes, kwargs",
    [
        ([6] * 12, {}),
        ([3, 7, 5, 9, 4, 6, 8, 2, 5], {}),
        ([4, 6, 5, 7, 5, 6, 8], {"flat_slope_cluster": True}),
        ([5, 6, 7, 5, 6, 7, 5], {"singular": True}),
        ([5, 8, 6, 4, 9, 7], {"q": 1}),
    ],
)
def test_random_effects_phi_equals_per_cluster_matrices(sizes, kwargs):
    x, z, groups, psi, resid = _case(sizes, **kwargs)
    scale = 2.3
    dense = _dense(x, z, groups, psi, resid, scale)
    fast = ClusterRobust(x, resid, groups, phi=RandomEffectsPhi(z, psi, scale))
    np.testing.assert_allclose(fast.bread, dense.bread, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fast.vcov, dense.vcov, rtol=1e-8, atol=1e-14)
    for c in (np.eye(x.shape[1])[1], np.array([0, 1.0, -0.5, 0.2, 0])):
        assert fast.se(c) == pytest.approx(dense.se(c), rel=1e-8)
        assert fast.df(c) == pytest.approx(dense.df(c), rel=1e-7)
    a = fast.wild(np.eye(x.shape[1])[1], estimate=0.3, n_boot=199, rng=4)
    b = dense.wild(np.eye(x.shape[1])[1], estimate=0.3, n_boot=199, rng=4)
    assert a.p_value == b.p_value
    assert a.ci_low == pytest.approx(b.ci_low, rel=1e-6)
    assert a.ci_high == pytest.approx(b.ci_high, rel=1e-6)


def test_random_effects_phi_differs_from_ols_working_model():
    # A guard that the comparison above can fail: a different working model gives other SEs.
    x, z, groups, psi, resid = _case([6] * 12)
    fast = ClusterRobust(x, resid, groups, phi=RandomEffectsPhi(z, psi, 2.3))
    ols = ClusterRobust(x, resid, groups)
    assert not np.allclose(fast.vcov, ols.vcov, rtol=1e-3)


def test_chunks_of_equal_and_unequal_clusters_give_the_dense_result(monkeypatch):
    # Chunks of three clusters: the first ones hold clusters of the largest size only (read as
    # views of the sorted rows), the last one clusters of other sizes (padded copies).
    from soleus_analysis.models import robust

    monkeypatch.setattr(robust, "_CHUNK_ELEMENTS", 3 * 6 * 6)
    x, z, groups, psi, resid = _case([6] * 9 + [4, 6, 3, 5], seed=3)
    dense = _dense(x, z, groups, psi, resid, 2.3)
    fast = ClusterRobust(x, resid, groups, phi=RandomEffectsPhi(z, psi, 2.3))
    np.testing.assert_allclose(fast.vcov, dense.vcov, rtol=1e-8, atol=1e-14)
    for c in (np.eye(x.shape[1])[1], np.array([0, 1.0, -0.5, 0.2, 0])):
        assert fast.df(c) == pytest.approx(dense.df(c), rel=1e-8)
