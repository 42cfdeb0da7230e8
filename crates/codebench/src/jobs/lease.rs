//! The leases a run holds on the jobs it works on: this process's name as their owner, when a
//! lease ends, whether the process that holds one is gone, and the heartbeat thread that renews
//! them while the run lasts, so another run takes back only jobs whose process died.

use std::time::Duration;

use rusqlite::params;

use crate::{Error, Result};

/// How long a job's lease lasts; the heartbeat renews it three times as often.
const LEASE: Duration = Duration::from_secs(60);

/// This process's name on the leases it holds: host, process id, and when it started.
pub(super) fn lease_owner() -> String {
    static OWNER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OWNER
        .get_or_init(|| {
            let host = std::env::var("HOSTNAME")
                .ok()
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "host".into());
            format!("{host}:{}:{}", std::process::id(), crate::now())
        })
        .clone()
}

/// Whether the process named by a lease owner (`host:pid:start`) ran on this machine and is no
/// longer running. Where that cannot be told (another host, no `/proc`), it is not gone: its
/// lease runs out instead.
pub(super) fn owner_is_gone(owner: &str) -> bool {
    let mine = lease_owner();
    let host = |o: &str| o.split(':').next().map(str::to_string);
    if host(owner) != host(&mine) || owner == mine {
        return false;
    }
    let Some(pid) = owner.split(':').nth(1).and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    let proc = std::path::Path::new("/proc");
    proc.is_dir() && !proc.join(pid.to_string()).exists()
}

/// The end of a lease taken now.
pub(super) fn lease_until() -> String {
    (chrono::Utc::now()
        + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::seconds(60)))
    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Renews this process's leases every third of [`LEASE`] until dropped.
pub(super) struct Heartbeat {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    pub(super) fn start(path: &std::path::Path) -> Result<Heartbeat> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let owner = lease_owner();
        let thread = std::thread::Builder::new()
            .name("job-leases".into())
            .spawn(move || {
                let tick = Duration::from_millis(200);
                let every = LEASE / 3;
                let mut waited = Duration::ZERO;
                while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(tick);
                    waited += tick;
                    if waited >= every {
                        waited = Duration::ZERO;
                        // A failed renewal is retried at the next beat; a lease that runs out
                        // only lets another run take the job back, it loses nothing.
                        let _ = conn.execute(
                            "UPDATE job SET lease_until = ?2 WHERE state = 'running' AND lease_owner = ?1",
                            params![owner, lease_until()],
                        );
                    }
                }
            })
            .map_err(|e| Error::Invalid(format!("could not start the job lease thread: {e}")))?;
        Ok(Heartbeat {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
