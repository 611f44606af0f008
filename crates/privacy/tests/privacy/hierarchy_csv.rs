//! Hierarchy CSV errors name the file and the row, for generated hierarchies with one fault.

use cthub_privacy::{Generalisation, Hierarchy};
use proptest::prelude::*;

/// A well-formed hierarchy text: `n` values, `levels` levels, groups of `fan`.
fn text(n: usize, levels: usize, fan: usize) -> Vec<Vec<String>> {
    (0..n)
        .map(|v| {
            let mut row = vec![format!("v{v}")];
            let mut g = v;
            for level in 1..levels - 1 {
                g /= fan;
                row.push(format!("L{level}g{g}"));
            }
            row.push("*".into());
            row
        })
        .collect()
}

fn join(rows: &[Vec<String>]) -> String {
    rows.iter().map(|r| r.join(";") + "\n").collect()
}

proptest! {
    #[test]
    fn good_hierarchies_load(n in 1usize..40, levels in 2usize..6, fan in 2usize..4) {
        let rows = text(n, levels, fan);
        let h = Hierarchy::from_csv_str("gen.csv", &join(&rows), b';').unwrap();
        prop_assert_eq!(h.levels(), levels);
        prop_assert_eq!(h.generalise("v0", levels - 1), Some("*"));
    }

    #[test]
    fn faults_name_file_and_row(
        n in 2usize..40,
        levels in 3usize..6,
        fan in 2usize..4,
        pick in any::<prop::sample::Index>(),
        fault in 0usize..4,
    ) {
        let mut rows = text(n, levels, fan);
        let i = pick.index(n - 1) + 1; // never the first row: it sets the shape
        match fault {
            0 => { rows[i].pop(); }
            1 => { *rows[i].last_mut().unwrap() = "ALL".into(); }
            2 => { rows[i][0] = "v0".into(); }
            _ => {
                // Give row i's level-1 label a different parent than its group's other rows.
                let label = rows[i][1].clone();
                let other = rows.iter().position(|r| r[1] == label).unwrap();
                if other == i {
                    // Alone in its group: reuse the label of row 0 with a new parent.
                    rows[i][1] = rows[0][1].clone();
                }
                rows[i][2] = "elsewhere".into();
                if levels == 3 { rows[i][2] = "*".into(); rows[i][1] = "solo".into(); rows[i].insert(2, "x".into()); }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("faulty.csv");
        std::fs::write(&path, join(&rows)).unwrap();
        let err = Hierarchy::from_csv(&path, b';').unwrap_err().to_string();
        prop_assert!(err.contains("faulty.csv"), "{}", err);
        let row = format!("row {}", i + 1);
        prop_assert!(err.contains(&row), "{} should name {}", err, row);
    }
}
