//! Keeps one service's process running: starts it in its own process
//! group, restarts it when it dies unasked, and stops the whole group.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use super::instance::Instance;
use super::procfs::alive;
use crate::driver::DriverError;

/// Restarts in a row before the supervisor gives up on a crashing process.
const MAX_RESTARTS: u32 = 5;
const STOP_GRACE: Duration = Duration::from_secs(5);
const LOG_FILE: &str = "process.log";
/// Written by the process itself before it runs its command, so an agent
/// killed between starting a process and recording it still leaves a trace
/// the next agent finds instead of starting a second one.
const PID_FILE: &str = "process.pid";

pub struct Supervisor {
    dir: PathBuf,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pid: Option<i32>,
    started_at: Option<DateTime<Utc>>,
    /// Present when this agent started the process, so it can be reaped.
    child: Option<Child>,
    /// Whether the process should be running; the watcher restarts it then.
    wanted: bool,
    command: Vec<String>,
    restarts: u32,
    watching: bool,
}

impl State {
    /// The live pid, reaping an exited child on the way.
    fn live_pid(&mut self) -> Option<i32> {
        if let Some(child) = &mut self.child {
            if !matches!(child.try_wait(), Ok(None)) {
                self.child = None;
                self.pid = None;
            }
        }
        self.pid.filter(|pid| alive(*pid))
    }
}

impl Supervisor {
    pub fn new(dir: PathBuf) -> Supervisor {
        Supervisor {
            dir,
            state: Mutex::new(State::default()),
        }
    }

    /// Starts the process unless it already runs — started by this agent
    /// or by an earlier run of it, recorded in `instance`.
    pub async fn start(
        self: &Arc<Self>,
        instance: &mut Instance,
        command: Vec<String>,
    ) -> Result<(), DriverError> {
        let mut state = self.state.lock().await;
        state.command = command;
        state.wanted = true;
        state.restarts = 0;
        if state.live_pid().is_none() {
            match self.recorded_pid(instance) {
                Some(pid) => {
                    tracing::info!(pid, dir = %self.dir.display(), "adopting a running process");
                    state.pid = Some(pid);
                    state.started_at = instance.started_at;
                }
                None => self.spawn(&mut state)?,
            }
        }
        instance.pid = state.pid;
        instance.started_at = state.started_at;
        instance.save(&self.dir)?;
        if !state.watching {
            state.watching = true;
            tokio::spawn(self.clone().watch());
        }
        Ok(())
    }

    fn spawn(&self, state: &mut State) -> Result<(), DriverError> {
        let (program, args) = state
            .command
            .split_first()
            .ok_or_else(|| DriverError::Properties("command is empty".into()))?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(LOG_FILE))
            .map_err(|e| DriverError::Failed(e.to_string()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| DriverError::Failed(e.to_string()))?;
        // `sh` records its own pid, which `exec` hands on to the command;
        // renamed into place, so the file is never read half written.
        let child = Command::new("/bin/sh")
            .arg("-c")
            .arg(r#"echo $$ > "$0.tmp" && mv -f "$0.tmp" "$0" && exec "$@""#)
            .arg(PID_FILE)
            .arg(program)
            .args(args)
            .env(MARK, &self.dir)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own group: stopping the service stops its children too, and
            // a crash of the agent leaves the service running.
            .process_group(0)
            .spawn()
            .map_err(|e| DriverError::Failed(format!("cannot start {program}: {e}")))?;
        state.pid = child.id().map(|id| id as i32);
        state.started_at = Some(Utc::now());
        state.child = Some(child);
        Ok(())
    }

    /// Restarts the process when it exits while wanted.
    async fn watch(self: Arc<Self>) {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let mut state = self.state.lock().await;
            if !state.wanted {
                state.watching = false;
                return;
            }
            if state.live_pid().is_some() {
                continue;
            }
            if state.restarts >= MAX_RESTARTS {
                tracing::error!(dir = %self.dir.display(), "the process keeps exiting; giving up");
                state.wanted = false;
                state.watching = false;
                return;
            }
            state.restarts += 1;
            tracing::warn!(dir = %self.dir.display(), restart = state.restarts, "the process exited; restarting");
            if let Err(error) = self.spawn(&mut state) {
                tracing::error!(%error, "restart failed");
            } else if let Ok(Some(mut instance)) = Instance::load(&self.dir) {
                instance.pid = state.pid;
                instance.started_at = state.started_at;
                let _ = instance.save(&self.dir);
            }
        }
    }

    /// Stops the process group: TERM, then KILL after a grace period.
    pub async fn stop(&self, instance: &mut Instance) -> Result<(), DriverError> {
        let mut state = self.state.lock().await;
        state.wanted = false;
        let pid = state.live_pid().or_else(|| self.recorded_pid(instance));
        if let Some(pid) = pid {
            signal_group(pid, libc::SIGTERM);
            let deadline = tokio::time::Instant::now() + STOP_GRACE;
            while tokio::time::Instant::now() < deadline
                && (state.live_pid().is_some() || alive(pid))
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if alive(pid) {
                signal_group(pid, libc::SIGKILL);
            }
            if let Some(mut child) = state.child.take() {
                let _ = child.wait().await;
            }
        }
        state.pid = None;
        state.started_at = None;
        instance.pid = None;
        instance.started_at = None;
        let _ = std::fs::remove_file(self.dir.join(PID_FILE));
        instance.save(&self.dir)
    }

    /// The running process an earlier run of the agent started for this
    /// service: the one it recorded, else the one that recorded itself —
    /// which counts only if it carries this service's mark, so a pid reused
    /// by another process is never taken for the service.
    fn recorded_pid(&self, instance: &Instance) -> Option<i32> {
        if let Some(pid) = instance.pid.filter(|pid| alive(*pid)) {
            return Some(pid);
        }
        std::fs::read_to_string(self.dir.join(PID_FILE))
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok())
            .filter(|pid| alive(*pid) && marked(*pid, &self.dir))
    }

    pub async fn stop_quietly(&self) {
        if let Ok(Some(mut instance)) = Instance::load(&self.dir) {
            if let Err(error) = self.stop(&mut instance).await {
                tracing::warn!(%error, "cannot stop a service process");
            }
        }
    }

    /// Leaves the process running without supervision.
    pub async fn detach(&self) {
        let mut state = self.state.lock().await;
        state.wanted = false;
        state.child = None;
    }

    /// Whether the process runs, or died and is about to be restarted; false
    /// once stopped or given up on.
    pub async fn keeps_running(&self) -> bool {
        let mut state = self.state.lock().await;
        state.live_pid().is_some() || (state.wanted && state.watching)
    }

    pub async fn running(&self) -> Option<(i32, DateTime<Utc>)> {
        let mut state = self.state.lock().await;
        let pid = state.live_pid()?;
        Some((pid, state.started_at.unwrap_or_else(Utc::now)))
    }

    /// The end of the process's output, for error messages.
    pub async fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join(LOG_FILE)).unwrap_or_default();
        let tail: String = text
            .chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        tail.trim().to_string()
    }
}

/// The variable that marks a service's process with its directory; it
/// survives `exec` and a change of working directory.
const MARK: &str = "FEDERA_SERVICE_DIR";

/// Whether process `pid` was started for the service in `dir`.
fn marked(pid: i32, dir: &std::path::Path) -> bool {
    let Ok(environment) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return false;
    };
    let mark = format!("{MARK}={}", dir.display());
    environment
        .split(|byte| *byte == 0)
        .any(|entry| entry == mark.as_bytes())
}

fn signal_group(pid: i32, signal: i32) {
    // SAFETY: kill has no memory effects; a negative pid names the group the
    // process leads, which `process_group(0)` made it lead.
    unsafe {
        libc::kill(-pid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleeper() -> Vec<String> {
        vec!["sleep".into(), "30".into()]
    }

    #[tokio::test]
    async fn a_process_whose_start_was_never_recorded_is_adopted_not_started_again() {
        let dir = tempfile::tempdir().unwrap();
        let first = Arc::new(Supervisor::new(dir.path().to_path_buf()));
        let mut instance = Instance::new(0);
        first.start(&mut instance, sleeper()).await.unwrap();
        let pid = instance.pid.expect("started");
        // The agent died between starting the process and recording it. The
        // next agent comes only after the job's lease lapsed, seconds later;
        // by then the process has written its pid and runs its command.
        first.detach().await;
        let mut unrecorded = Instance::new(0);
        unrecorded.save(dir.path()).unwrap();
        let running_command = || {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|line| line.starts_with(b"sleep"))
        };
        for _ in 0..100 {
            if dir.path().join(PID_FILE).exists() && running_command() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let next = Arc::new(Supervisor::new(dir.path().to_path_buf()));
        next.start(&mut unrecorded, sleeper()).await.unwrap();
        assert_eq!(unrecorded.pid, Some(pid), "the running process is adopted");
        next.stop(&mut unrecorded).await.unwrap();
        assert!(!alive(pid) || !marked(pid, dir.path()), "and stopped");
        assert!(!dir.path().join(PID_FILE).exists());
    }

    #[tokio::test]
    async fn a_recorded_pid_of_another_process_is_not_adopted() {
        let dir = tempfile::tempdir().unwrap();
        // A live process that is not this service's: this test itself.
        std::fs::write(dir.path().join(PID_FILE), std::process::id().to_string()).unwrap();
        let supervisor = Arc::new(Supervisor::new(dir.path().to_path_buf()));
        let mut instance = Instance::new(0);
        supervisor.start(&mut instance, sleeper()).await.unwrap();
        let pid = instance.pid.expect("started");
        assert_ne!(pid, std::process::id() as i32);
        // The mark is in place once the new process has executed its shell.
        let mut carries_mark = false;
        for _ in 0..100 {
            carries_mark = marked(pid, dir.path());
            if carries_mark {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            carries_mark,
            "a new process was started, marked as the service's"
        );
        supervisor.stop(&mut instance).await.unwrap();
    }
}
