//! Clustering pairwise matches into persons, with a guard against chaining.
//!
//! Plain connected components of the match graph chain: `A~B` and `B~C` put `A` and `C` together
//! even when `A` and `C` clearly disagree, and one bad link can glue two large groups. Here the
//! components are grown greedily with constraints (constrained single linkage):
//!
//! 1. match edges are taken from the strongest weight to the weakest (ties by record ids, so the
//!    result is deterministic);
//! 2. an edge joins the clusters of its two records unless
//!    * the joined cluster would exceed `max_size`, or
//!    * some pair `(x, y)` with `x` in one cluster and `y` in the other scores below the `floor`
//!      (the pair's own score is recomputed, whether or not blocking compared it);
//! 3. an edge that is refused is counted (`refused_floor`, `refused_size`), never forced.
//!
//! Guarantees (tested, including by property tests): every cluster is connected by accepted match
//! edges; no two records in one cluster score below the floor; no cluster exceeds `max_size`.
//! Without floor and size limit the result equals the connected components.

/// Result of [`cluster`].
#[derive(Debug, Clone, Default)]
pub struct Clustering {
    /// Cluster label of each record (labels are `0..clusters.len()`).
    pub labels: Vec<u32>,
    /// Members of each cluster, ascending.
    pub clusters: Vec<Vec<u32>>,
    /// Edges refused because a cross pair scored below the floor.
    pub refused_floor: usize,
    /// Edges refused because the cluster would be too large.
    pub refused_size: usize,
}

/// Cluster `n` records given match edges `(a, b, weight)`. `score(x, y)` returns the pairwise
/// weight of any two records (used only when `floor` is set).
pub fn cluster<F>(
    n: usize,
    edges: &[(u32, u32, f64)],
    floor: Option<f64>,
    max_size: Option<usize>,
    score: F,
) -> Clustering
where
    F: Fn(u32, u32) -> f64,
{
    let mut order: Vec<usize> = (0..edges.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&edges[i], &edges[j]);
        b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1)))
    });
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut members: Vec<Vec<u32>> = Vec::new();
    let mut slot: Vec<u32> = vec![u32::MAX; n]; // root -> index in members (only for non-singletons)
    let mut out = Clustering::default();

    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let p = parent[x as usize];
            parent[x as usize] = parent[p as usize];
            x = p;
        }
        x
    }

    for i in order {
        let (a, b, _) = edges[i];
        if a as usize >= n || b as usize >= n || a == b {
            continue;
        }
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra == rb {
            continue;
        }
        let single_a = [ra];
        let single_b = [rb];
        let ma: &[u32] = if slot[ra as usize] == u32::MAX {
            &single_a
        } else {
            &members[slot[ra as usize] as usize]
        };
        let mb: &[u32] = if slot[rb as usize] == u32::MAX {
            &single_b
        } else {
            &members[slot[rb as usize] as usize]
        };
        if let Some(max) = max_size {
            if ma.len() + mb.len() > max {
                out.refused_size += 1;
                continue;
            }
        }
        if let Some(f) = floor {
            let ok = ma.iter().all(|&x| mb.iter().all(|&y| score(x, y) >= f));
            if !ok {
                out.refused_floor += 1;
                continue;
            }
        }
        // Merge the smaller member list into the larger.
        let (big, small) = if ma.len() >= mb.len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let small_members: Vec<u32> = if slot[small as usize] == u32::MAX {
            vec![small]
        } else {
            std::mem::take(&mut members[slot[small as usize] as usize])
        };
        if slot[big as usize] == u32::MAX {
            slot[big as usize] = members.len() as u32;
            members.push(vec![big]);
        }
        members[slot[big as usize] as usize].extend_from_slice(&small_members);
        parent[small as usize] = big;
    }

    out.labels = vec![u32::MAX; n];
    for r in 0..n as u32 {
        let root = find(&mut parent, r);
        if out.labels[root as usize] == u32::MAX {
            out.labels[root as usize] = out.clusters.len() as u32;
            out.clusters.push(Vec::new());
        }
        let l = out.labels[root as usize];
        out.labels[r as usize] = l;
        out.clusters[l as usize].push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chain_is_cut_at_the_floor() {
        // 0~1 strong, 1~2 strong, but 0 vs 2 scores -20: 2 must not join {0,1}.
        let edges = [(0, 1, 10.0), (1, 2, 9.0), (3, 4, 5.0)];
        let score = |x: u32, y: u32| {
            if (x.min(y), x.max(y)) == (0, 2) {
                -20.0
            } else {
                5.0
            }
        };
        let c = cluster(5, &edges, Some(-5.0), None, score);
        assert_eq!(c.labels[0], c.labels[1]);
        assert_ne!(c.labels[0], c.labels[2]);
        assert_eq!(c.labels[3], c.labels[4]);
        assert_eq!(c.refused_floor, 1);
        // Without the floor: plain connected components.
        let c = cluster(5, &edges, None, None, score);
        assert_eq!(c.labels[0], c.labels[2]);
        assert_eq!(c.clusters.len(), 2);
    }

    #[test]
    fn size_limit() {
        let edges: Vec<(u32, u32, f64)> = (0..9).map(|i| (i, i + 1, 1.0)).collect();
        let c = cluster(10, &edges, None, Some(4), |_, _| 0.0);
        assert!(c.clusters.iter().all(|m| m.len() <= 4));
        assert!(c.refused_size > 0);
    }

    proptest! {
        #[test]
        fn never_merges_below_floor(
            n in 2usize..30,
            raw in proptest::collection::vec((0u32..30, 0u32..30, -10.0f64..10.0), 0..80),
            seed in 0u64..1000,
            floor in -5.0f64..5.0,
            max in 2usize..10,
        ) {
            let edges: Vec<(u32, u32, f64)> = raw.into_iter().filter(|e| (e.0 as usize) < n && (e.1 as usize) < n).collect();
            // A fixed symmetric pseudo-random score for every pair.
            let score = move |x: u32, y: u32| {
                let (a, b) = (x.min(y) as u64, x.max(y) as u64);
                let h = (a * 1_000_003 + b + seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
                (h % 2000) as f64 / 100.0 - 10.0
            };
            let c = cluster(n, &edges, Some(floor), Some(max), score);
            for m in &c.clusters {
                prop_assert!(m.len() <= max);
                for (i, &x) in m.iter().enumerate() {
                    for &y in &m[i + 1..] {
                        prop_assert!(score(x, y) >= floor);
                    }
                }
            }
            prop_assert_eq!(c.labels.len(), n);
        }
    }
}
