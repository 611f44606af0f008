//! Test support shared by cthub's test suites (a dev-dependency only).
//!
//! The rule it enforces: no test waits without a deadline. A child process (the `cthub`
//! binary, Chromium, Node.js) that does not finish in time is killed, and the test fails with a
//! message that names what it waited for and shows what the child printed so far, instead of
//! hanging CI.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use wait_timeout::ChildExt;

/// The longest any single wait in a test may last.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// How long the pipes may stay open after the child exited (a grandchild still holding them
/// is a process left behind).
const PIPE_GRACE: Duration = Duration::from_secs(5);

fn drain(r: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    rx
}

/// Kills every process of the group the child leads (the child and what it started).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// Runs `cmd` to completion like [`Command::output`], but kills it (with every process it
/// started) and panics, naming `what` and showing the output so far, when it runs longer than
/// `limit`, or when processes it started still hold its output open after it exited. Stdin is
/// closed.
pub fn output_within(cmd: &mut Command, limit: Duration, what: &str) -> Output {
    run(cmd, None, limit, what)
}

/// [`output`] with `input` written to the child's standard input (then closed).
pub fn output_with_input(cmd: &mut Command, input: &[u8], what: &str) -> Output {
    run(cmd, Some(input), MAX_WAIT, what)
}

fn run(cmd: &mut Command, input: Option<&[u8]>, limit: Duration, what: &str) -> Output {
    let mut child = cmd
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {what}: {e}"));
    let pgid = child.id();
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        use std::io::Write;
        let bytes = bytes.to_vec();
        // a writer thread: a child that does not read cannot block the deadline
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
    }
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let waited = child
        .wait_timeout(limit)
        .unwrap_or_else(|e| panic!("waiting for {what}: {e}"));
    let Some(status) = waited else {
        kill_group(pgid);
        let _ = child.wait();
        let stdout = out.recv_timeout(PIPE_GRACE).unwrap_or_default();
        let stderr = err.recv_timeout(PIPE_GRACE).unwrap_or_default();
        panic!(
            "{what} did not finish within {} s and was killed\nstdout so far:\n{}\nstderr so far:\n{}",
            limit.as_secs(),
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    let until = std::time::Instant::now() + PIPE_GRACE;
    let left = || until.saturating_duration_since(std::time::Instant::now());
    match (out.recv_timeout(left()), err.recv_timeout(left())) {
        (Ok(stdout), Ok(stderr)) => Output {
            status,
            stdout,
            stderr,
        },
        _ => {
            kill_group(pgid);
            panic!("{what} exited ({status}) but left processes behind that held its output open; they were killed");
        }
    }
}

/// [`output_within`] with [`MAX_WAIT`].
pub fn output(cmd: &mut Command, what: &str) -> Output {
    output_within(cmd, MAX_WAIT, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_child_gives_its_output() {
        let o = output(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            "sh",
        );
        assert_eq!(o.status.code(), Some(3));
        assert_eq!(o.stdout, b"out\n");
        assert_eq!(o.stderr, b"err\n");
    }

    #[test]
    fn a_child_past_its_deadline_is_killed_and_named() {
        let r = std::panic::catch_unwind(|| {
            output_within(
                Command::new("sh").args(["-c", "echo started; exec sleep 30"]),
                Duration::from_millis(300),
                "the sleeper",
            )
        });
        let msg = *r.unwrap_err().downcast::<String>().unwrap();
        assert!(msg.contains("the sleeper did not finish"), "{msg}");
        assert!(msg.contains("started"), "{msg}");
    }

    #[test]
    fn input_reaches_the_child() {
        let o = output_with_input(Command::new("cat").arg("-"), b"hello\n", "cat");
        assert_eq!(o.stdout, b"hello\n");
    }

    #[test]
    fn a_process_left_behind_is_killed_and_reported() {
        let r = std::panic::catch_unwind(|| {
            output(
                Command::new("sh").args(["-c", "sleep 60 & echo gone"]),
                "the leaver",
            )
        });
        let msg = *r.unwrap_err().downcast::<String>().unwrap();
        assert!(msg.contains("left processes behind"), "{msg}");
    }
}
