//! A PostgreSQL cluster of a test's own, which it may stop and start: the
//! shared test cluster serves every other test and must stay up.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A cluster in a temporary directory on a free loopback port; removed
/// when dropped.
pub struct PostgresCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    pub url: String,
}

/// The newest installed PostgreSQL's binaries, if any.
pub fn postgres_binaries() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    found.sort_by_key(|bin| {
        bin.parent()
            .and_then(Path::file_name)
            .and_then(|name| name.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|status| {
            status
                .lines()
                .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

impl PostgresCluster {
    /// Creates and starts a cluster with `bin`'s `initdb` and `pg_ctl`.
    /// PostgreSQL refuses to run as root, so as root it runs as `postgres`.
    pub fn start(bin: &Path) -> PostgresCluster {
        let dir = tempfile::Builder::new()
            .prefix("federa-pg-own")
            .tempdir()
            .expect("a temporary directory");
        if is_root() {
            let chowned = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir.path())
                .status()
                .expect("chown runs");
            assert!(
                chowned.success(),
                "the cluster directory is given to postgres"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let cluster = PostgresCluster {
            bin: bin.to_path_buf(),
            url: format!("postgres://federa@127.0.0.1:{port}/postgres"),
            dir,
            port,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "federa",
                "-A",
                "trust",
                "--locale=C.UTF-8",
                "-E",
                "UTF8",
            ],
        );
        cluster.start_again();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let program = self.bin.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command.args(args).output().expect("PostgreSQL tool runs");
        assert!(
            output.status.success(),
            "{} {args:?}: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts the stopped cluster on the same port, waiting until it accepts.
    pub fn start_again(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c synchronous_commit=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// Freezes every process of the running cluster (SIGSTOP): connections
    /// stay open but nothing answers, and the server enforces none of its
    /// own timeouts, as with a hung host or a partition that drops packets.
    pub fn freeze(&self) {
        for pid in crate::processes::process_tree(self.postmaster()) {
            crate::processes::send_signal(pid, "STOP");
        }
    }

    /// Resumes a frozen cluster (SIGCONT).
    pub fn thaw(&self) {
        for pid in crate::processes::process_tree(self.postmaster()) {
            crate::processes::send_signal(pid, "CONT");
        }
    }

    fn postmaster(&self) -> u32 {
        let file = self.dir.path().join("data").join("postmaster.pid");
        std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{} names the running server", file.display()))
    }

    /// Stops the cluster as an administrator's shutdown does: open
    /// connections are cut and new ones refused.
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for PostgresCluster {
    fn drop(&mut self) {
        // A frozen cluster cannot stop.
        if let Ok(text) = std::fs::read_to_string(self.dir.path().join("data/postmaster.pid")) {
            if let Some(pid) = text
                .lines()
                .next()
                .and_then(|l| l.trim().parse::<u32>().ok())
            {
                for pid in crate::processes::process_tree(pid) {
                    let _ = Command::new("kill")
                        .args(["-CONT", &pid.to_string()])
                        .status();
                }
            }
        }
        let data = self.data();
        let program = self.bin.join("pg_ctl");
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let _ = if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(args)
                .output()
        } else {
            Command::new(&program).args(args).output()
        };
    }
}
