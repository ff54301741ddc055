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
            match instance.pid.filter(|pid| alive(*pid)) {
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
        let child = Command::new(program)
            .args(args)
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
        let pid = state.live_pid().or(instance.pid.filter(|pid| alive(*pid)));
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
        instance.save(&self.dir)
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

fn signal_group(pid: i32, signal: i32) {
    // SAFETY: kill has no memory effects; a negative pid names the group the
    // process leads, which `process_group(0)` made it lead.
    unsafe {
        libc::kill(-pid, signal);
    }
}
