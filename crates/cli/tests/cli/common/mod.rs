//! Helpers shared by the CLI's end-to-end tests: run the binary, show its output, parse it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `cthub` in `cwd` with the store at `db`.
pub fn cthub(args: &[&str], db: &str, cwd: &Path) -> Output {
    run(
        Command::new(env!("CARGO_BIN_EXE_cthub"))
            .args(args)
            .env("CTHUB_DATABASE_URL", db)
            .current_dir(cwd),
        args,
    )
}

/// Runs a prepared `cthub` command with the suite's deadline; `args` name it in a failure.
pub fn run(cmd: &mut Command, args: &[&str]) -> Output {
    cthub_testkit::output(cmd, &format!("cthub {}", args.join(" ")))
}

/// Exit status, stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asserts exit code 0 and parses stdout as JSON.
pub fn ok(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

/// A folder of ../shared/data, or `None` after a visible SKIPPED message.
pub fn shared(dir: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(dir);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} is absent", p.display());
        None
    }
}
