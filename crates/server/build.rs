//! Builds the dashboard (`web/`, TypeScript + Vite) into `$OUT_DIR/web`, which `src/web.rs`
//! embeds in the binary. Needs Node.js and npm (`npm ci` runs when `web/node_modules` is
//! missing or older than the lock file). Without npm, a prebuilt `web/dist` is used if present;
//! otherwise the binary serves a page that says the dashboard was not built.
use std::path::{Path, PathBuf};
use std::process::Command;

fn newer(a: &Path, b: &Path) -> bool {
    let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (m(a), m(b)) {
        (Some(x), Some(y)) => x > y,
        (Some(_), None) => true,
        _ => false,
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let t = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &t)?;
        } else {
            std::fs::copy(e.path(), t)?;
        }
    }
    Ok(())
}

fn npm() -> &'static str {
    if cfg!(windows) {
        "npm.cmd"
    } else {
        "npm"
    }
}

fn run(web: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new(npm())
        .args(args)
        .current_dir(web)
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "npm {} failed:\n{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let web = manifest.join("../../web");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("web");
    for p in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "public",
    ] {
        // Only paths that exist: Cargo takes a missing one as changed on every build, which
        // re-ran this script and rebuilt the server and the CLI on every `cargo test`.
        if web.join(p).exists() {
            println!("cargo:rerun-if-changed={}", web.join(p).display());
        }
    }
    println!("cargo:rerun-if-env-changed=CTHUB_SKIP_WEB_BUILD");
    let _ = std::fs::remove_dir_all(&out);
    let skip = std::env::var_os("CTHUB_SKIP_WEB_BUILD").is_some();
    let built = if skip || !web.join("package.json").exists() {
        Err("skipped".to_string())
    } else {
        (|| {
            let modules = web.join("node_modules");
            if !modules.exists() || newer(&web.join("package-lock.json"), &modules) {
                run(&web, &["ci", "--no-audit", "--no-fund"])?;
            }
            let out_s = out.to_string_lossy().into_owned();
            run(
                &web,
                &["run", "build", "--", "--outDir", &out_s, "--emptyOutDir"],
            )
        })()
    };
    if let Err(why) = built {
        let dist = web.join("dist");
        if dist.join("index.html").exists() {
            println!(
                "cargo:warning=dashboard not rebuilt ({}); embedding the prebuilt web/dist",
                why.lines().next().unwrap_or("")
            );
            copy_dir(&dist, &out).expect("copy web/dist");
        } else {
            println!("cargo:warning=the dashboard was not built ({why}); install Node.js and npm and rebuild");
            std::fs::create_dir_all(&out).expect("create OUT_DIR/web");
            std::fs::write(
                out.join("index.html"),
                "<!doctype html><meta charset=utf-8><title>cthub</title>\
                 <h1>cthub</h1><p>This build of cthub has no dashboard: Node.js and npm were not \
                 available when it was compiled. The API is served under <a href=/api/openapi.json>/api</a>.</p>",
            )
            .expect("write fallback page");
        }
    }
}
