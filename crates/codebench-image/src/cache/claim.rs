//! Claims of a [`DirCache`](super::DirCache): a file `<hex>.claim` beside the result that says
//! "this process is analysing that layer", so other processes wait for its result.
//!
//! Invariants:
//! - A claim is created atomically with its content: written to a temporary file in the same
//!   folder, then hard-linked to its name, which fails when the name exists (exclusive on local
//!   file systems and NFS alike). Where hard links are not supported, an exclusive create
//!   (`O_EXCL`) is used instead.
//! - The holder's heartbeat refreshes the claim's mtime; a claim is stale when its mtime is
//!   older than the timeout, or when a waiter has seen it unchanged for the timeout by its own
//!   monotonic clock (so a holder on a machine whose clock is behind is still judged alive
//!   while it heartbeats).
//! - Taking over a stale claim is serialised by an exclusive `<hex>.takeover` file, and the
//!   claim is re-read under it: only a claim that is still exactly the stale one is removed.
//! - Files are removed or touched only when they carry this process's token.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Format tag written in every claim file.
const CLAIM_FORMAT: &str = "codebench-layer-claim/1";
/// Largest claim file read; a claim is a few hundred bytes.
const MAX_CLAIM_BYTES: u64 = 64 * 1024;

/// Who holds claims: this host, this process and a token unique to one cache instance.
#[derive(Debug, Clone)]
pub(super) struct Owner {
    pub(super) host: String,
    pub(super) pid: u32,
    pub(super) token: String,
}

impl Owner {
    /// The owner for a new cache instance of this process.
    pub(super) fn new() -> Owner {
        use std::sync::atomic::{AtomicU64, Ordering};
        static INSTANCE: AtomicU64 = AtomicU64::new(0);
        let host = hostname();
        let pid = std::process::id();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let n = INSTANCE.fetch_add(1, Ordering::Relaxed);
        Owner {
            token: format!("{host}:{pid}:{nanos:x}:{n}"),
            host,
            pid,
        }
    }
}

/// The machine's name, for people reading a claim (and inside the token).
fn hostname() -> String {
    let from_file = |p: &str| {
        fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown-host".into())
}

/// The content of a claim file.
#[derive(Debug, Serialize, Deserialize)]
struct ClaimFile {
    format: String,
    digest: String,
    host: String,
    pid: u32,
    token: String,
    /// Unix seconds when the claim was made (its mtime is the heartbeat).
    claimed_at: u64,
}

/// A claim file as read: its bytes and mtime, enough to tell whether it changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Seen {
    bytes: Vec<u8>,
    mtime: Option<SystemTime>,
}

impl Seen {
    fn token(&self) -> Option<String> {
        serde_json::from_slice::<ClaimFile>(&self.bytes)
            .ok()
            .filter(|c| c.format == CLAIM_FORMAT)
            .map(|c| c.token)
    }
}

/// Creates the claim `path` for `owner`; `Ok(false)` when someone else's claim is there.
pub(super) fn create(path: &Path, dir: &Path, owner: &Owner, digest: &str) -> io::Result<bool> {
    let content = serde_json::to_vec(&ClaimFile {
        format: CLAIM_FORMAT.into(),
        digest: digest.to_string(),
        host: owner.host.clone(),
        pid: owner.pid,
        token: owner.token.clone(),
        claimed_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    })
    .map_err(io::Error::other)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-claim-")
        .tempfile_in(dir)?;
    tmp.write_all(&content)?;
    tmp.as_file().sync_all()?;
    // Closed before it is linked; the temporary name is removed when `tmp` goes.
    let tmp = tmp.into_temp_path();
    match fs::hard_link(&tmp, path) {
        Ok(()) => Ok(true),
        // NFS may report a link whose reply was lost as existing: then the claim is ours.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(is_ours(path, owner)),
        Err(_) => match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(mut f) => {
                f.write_all(&content)?;
                f.sync_all()?;
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        },
    }
}

/// The claim at `path`, or `None` when there is none.
pub(super) fn read(path: &Path) -> io::Result<Option<Seen>> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mtime = f.metadata()?.modified().ok();
    let mut bytes = Vec::new();
    f.take(MAX_CLAIM_BYTES).read_to_end(&mut bytes)?;
    Ok(Some(Seen { bytes, mtime }))
}

/// True when the claim at `path` carries `owner`'s token.
pub(super) fn is_ours(path: &Path, owner: &Owner) -> bool {
    matches!(read(path), Ok(Some(s)) if s.token().as_deref() == Some(owner.token.as_str()))
}

/// Removes the claim at `path` if it is `owner`'s.
pub(super) fn remove_if_ours(path: &Path, owner: &Owner) {
    if is_ours(path, owner) {
        let _ = fs::remove_file(path);
    }
}

/// The heartbeat: refreshes the mtime of `owner`'s claim at `path`. `false` when the claim is
/// gone or someone else's now (it was taken over).
pub(super) fn touch_if_ours(path: &Path, owner: &Owner) -> bool {
    if !is_ours(path, owner) {
        return false;
    }
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .is_ok()
}

/// Judges staleness of the claim one waiter keeps seeing.
#[derive(Default)]
pub(super) struct Watch {
    last: Option<(Seen, Instant)>,
}

impl Watch {
    /// True when `seen` is stale: older than `stale_after` by its mtime, or unchanged for
    /// `stale_after` since this waiter first saw it. (A claim this process left behind is
    /// judged alike: only claims in the process's held set are refreshed.)
    pub(super) fn stale(&mut self, seen: &Seen, stale_after: Duration) -> bool {
        let old_by_mtime = seen
            .mtime
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age > stale_after);
        if old_by_mtime {
            return true;
        }
        match &self.last {
            Some((prev, since)) if prev == seen => since.elapsed() > stale_after,
            _ => {
                self.last = Some((seen.clone(), Instant::now()));
                false
            }
        }
    }
}

/// Replaces the stale claim `seen` at `claim`: under the exclusive `takeover` file, removes the
/// claim if it is still exactly `seen`. `true` when it was removed (the caller then claims).
pub(super) fn take_over(claim: &Path, takeover: &Path, seen: &Seen, stale_after: Duration) -> bool {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(takeover)
    {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            // A taker that died mid-takeover leaves the file behind: clear it once it is old.
            let old = fs::metadata(takeover)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .is_some_and(|age| age > stale_after);
            if old {
                let _ = fs::remove_file(takeover);
            }
            return false;
        }
        Err(_) => return false,
    }
    let same = matches!(read(claim), Ok(Some(now)) if &now == seen);
    if same {
        let _ = fs::remove_file(claim);
    }
    let _ = fs::remove_file(takeover);
    same
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_is_exclusive_and_heartbeat_refreshes_only_own_claims() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.claim");
        let (a, b) = (Owner::new(), Owner::new());
        assert_ne!(a.token, b.token);
        assert!(create(&path, dir.path(), &a, "sha256:x").unwrap());
        assert!(!create(&path, dir.path(), &b, "sha256:x").unwrap());
        assert!(is_ours(&path, &a) && !is_ours(&path, &b));
        let old = SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(!touch_if_ours(&path, &b));
        let seen = read(&path).unwrap().unwrap();
        assert_eq!(seen.mtime, Some(old));
        assert!(touch_if_ours(&path, &a));
        let fresh = read(&path).unwrap().unwrap();
        assert!(fresh.mtime.unwrap() > old + Duration::from_secs(3000));
        remove_if_ours(&path, &b);
        assert!(path.exists());
        remove_if_ours(&path, &a);
        assert!(!path.exists());
        // Only the claim is left in the folder: the temporary files are gone.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn staleness_by_mtime_by_observation_and_takeover_of_the_same_claim_only() {
        let dir = tempfile::tempdir().unwrap();
        let (claim, takeover) = (dir.path().join("x.claim"), dir.path().join("x.takeover"));
        let holder = Owner::new();
        create(&claim, dir.path(), &holder, "sha256:x").unwrap();
        let seen = read(&claim).unwrap().unwrap();
        let mut w = Watch::default();
        assert!(!w.stale(&seen, Duration::from_secs(60)));
        assert!(w.stale(&seen, Duration::ZERO), "unchanged while watched");
        let old = SystemTime::now() - Duration::from_secs(120);
        File::options()
            .write(true)
            .open(&claim)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let aged = read(&claim).unwrap().unwrap();
        assert!(
            Watch::default().stale(&aged, Duration::from_secs(60)),
            "old by mtime"
        );
        assert!(!Watch::default().stale(&aged, Duration::from_secs(600)));
        // A claim that changed since it was judged stale is not removed.
        let changed = Seen {
            bytes: b"other".to_vec(),
            mtime: seen.mtime,
        };
        assert!(!take_over(&claim, &takeover, &changed, Duration::ZERO));
        assert!(claim.exists() && !takeover.exists());
        // Someone else is taking over: wait.
        File::create(&takeover).unwrap();
        assert!(!take_over(
            &claim,
            &takeover,
            &seen,
            Duration::from_secs(60)
        ));
        assert!(claim.exists());
        fs::remove_file(&takeover).unwrap();
        assert!(
            !take_over(&claim, &takeover, &seen, Duration::ZERO),
            "mtime changed"
        );
        assert!(take_over(&claim, &takeover, &aged, Duration::ZERO));
        assert!(!claim.exists() && !takeover.exists());
    }
}
