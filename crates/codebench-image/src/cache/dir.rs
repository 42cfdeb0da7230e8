//! [`DirCache`]: layer analyses in a folder that several processes — on one machine, or on
//! several machines sharing it (NFS, a cluster file system) — read and write at once, so
//! shards of one study never analyse the same layer twice.
//!
//! Folder layout (one subfolder per first two hex digits, so no folder grows past a few
//! thousand entries):
//!
//! ```text
//! DIR/
//!   sha256/
//!     ab/
//!       ab12…(64 hex).json      the analysis of sha256:ab12…: a header line, then the body
//!       ab12….claim             someone is analysing that layer (JSON: host, pid, token);
//!                               its mtime is the holder's heartbeat
//!       ab12….takeover          for a moment: a stale claim is being replaced
//!       .tmp-…                  a file being written, renamed into place once complete
//! ```
//!
//! A result file is two JSON lines: `{"format":"codebench-layer-cache/1","digest":"sha256:…",
//! "body_bytes":N,"body_sha256":"sha256:…"}` and `{"metrics":{…},"paths":"<base64 of the
//! CBP1 path index>"}`.
//!
//! Invariants:
//! - Only digests of the form `sha256:<64 lowercase hex>` are stored or looked up; anything else
//!   is a plain miss and touches no file, so a key can never name a path outside the folder.
//! - A result is written to a temporary file in its own folder, fsynced, then renamed over its
//!   name: readers see the old file or the whole new one. A reader trusts a file only when it
//!   parses, has this format, names the digest asked for (in the header and in the metrics) and
//!   its body has the size and sha256 the header states; anything else (torn, foreign, edited)
//!   is a miss, and the layer is analysed again and the file replaced.
//! - A miss claims the digest (see `claim`): within a process one thread per digest, across
//!   processes one claim file per digest. Others wait for the result, at most
//!   [`DirCacheOptions::max_wait`]; a claim whose heartbeat stopped for
//!   [`DirCacheOptions::stale_after`] is taken over. A result is renamed into place before its
//!   claim is removed, so a process that wins a claim after another finished finds its result.
//! - Clocks of the machines sharing the folder should agree within `stale_after` (NTP); on NFS,
//!   a finished result may reach waiters only after the attribute cache times out
//!   (`lookupcache=positive` avoids that).

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::claim::{self, Owner, Watch};
use super::LayerCache;
use crate::digest::{sha256_hex, sha256_of};
use crate::error::ImageError;
use crate::layer::{LayerAnalysis, LayerMetrics, PathIndex};

/// Format tag in the header line of every result file.
const RESULT_FORMAT: &str = "codebench-layer-cache/1";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Timings and bounds of a [`DirCache`].
#[derive(Debug, Clone)]
pub struct DirCacheOptions {
    /// How often the holder of a claim refreshes its mtime.
    pub heartbeat: Duration,
    /// A claim whose heartbeat stopped this long is taken over (its holder died or hangs).
    pub stale_after: Duration,
    /// Longest a `get` waits for another analyser's result before it gives up and reports a
    /// miss without a claim (the caller then analyses the layer itself).
    pub max_wait: Duration,
    /// Longest pause between two looks at a layer someone else is analysing.
    pub poll: Duration,
    /// Largest result file read; larger files are not trusted.
    pub max_file_bytes: u64,
}

impl Default for DirCacheOptions {
    fn default() -> Self {
        DirCacheOptions {
            heartbeat: Duration::from_secs(10),
            stale_after: Duration::from_secs(60),
            max_wait: Duration::from_secs(600),
            poll: Duration::from_millis(250),
            max_file_bytes: 256 << 20,
        }
    }
}

/// What a [`DirCache`] instance did, for progress reports and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirCacheStats {
    /// Lookups answered from the folder (including after waiting).
    pub hits: u64,
    /// Misses that claimed the digest: layers this instance was asked to analyse.
    pub claims: u64,
    /// Hits that had to wait for another analyser first.
    pub waits: u64,
    /// Stale claims taken over.
    pub takeovers: u64,
    /// Waits that ran out ([`DirCacheOptions::max_wait`]): misses without a claim.
    pub timeouts: u64,
    /// Result files found but not trusted (torn, foreign, wrong digest, too large).
    pub rejected_files: u64,
    /// Failures to create a claim or write a result (the analysis still goes on).
    pub write_errors: u64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    claims: AtomicU64,
    waits: AtomicU64,
    takeovers: AtomicU64,
    timeouts: AtomicU64,
    rejected_files: AtomicU64,
    write_errors: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// State shared with the heartbeat thread.
struct Shared {
    root: PathBuf,
    opts: DirCacheOptions,
    owner: Owner,
    /// Digests (hex) a thread of this instance is claiming or holds.
    held: Mutex<HashSet<String>>,
    /// Signalled when a digest leaves `held`.
    changed: Condvar,
    counters: Counters,
}

/// A [`LayerCache`] in a shared folder, content-addressed by layer digest and safe with
/// concurrent readers and writers in many processes; see the module documentation for the
/// folder layout and the protocol.
pub struct DirCache {
    shared: Arc<Shared>,
    stop: Option<mpsc::Sender<()>>,
    heartbeat: Option<JoinHandle<()>>,
}

/// The files of one digest.
struct Slot {
    dir: PathBuf,
    result: PathBuf,
    claim: PathBuf,
    takeover: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    digest: String,
    body_bytes: u64,
    body_sha256: String,
}

#[derive(Serialize)]
struct BodyOut<'a> {
    metrics: &'a LayerMetrics,
    paths: String,
}

#[derive(Deserialize)]
struct BodyIn {
    metrics: LayerMetrics,
    paths: String,
}

impl DirCache {
    /// Opens (creating it if needed) the cache folder `dir` with default options.
    pub fn open(dir: impl Into<PathBuf>) -> Result<DirCache, ImageError> {
        DirCache::with_options(dir, DirCacheOptions::default())
    }

    /// Opens (creating it if needed) the cache folder `dir` and starts the heartbeat thread.
    pub fn with_options(
        dir: impl Into<PathBuf>,
        opts: DirCacheOptions,
    ) -> Result<DirCache, ImageError> {
        let root = dir.into();
        let top = root.join("sha256");
        fs::create_dir_all(&top).map_err(|e| ImageError::io(top.display().to_string(), e))?;
        let shared = Arc::new(Shared {
            root,
            opts,
            owner: Owner::new(),
            held: Mutex::new(HashSet::new()),
            changed: Condvar::new(),
            counters: Counters::default(),
        });
        let (stop, stopped) = mpsc::channel::<()>();
        let beat = shared.clone();
        let heartbeat = std::thread::Builder::new()
            .name("layer-cache-heartbeat".into())
            .spawn(move || {
                // Ends when the cache is dropped (its sender goes away).
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(beat.opts.heartbeat)
                {
                    beat.heartbeat();
                }
            })
            .map_err(|e| ImageError::io("layer cache heartbeat thread", e))?;
        Ok(DirCache {
            shared,
            stop: Some(stop),
            heartbeat: Some(heartbeat),
        })
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.shared.root
    }

    /// The result file of `digest` (whether or not it exists); an error for digests that are
    /// not `sha256:<64 lowercase hex>`.
    pub fn path_of(&self, digest: &str) -> Result<PathBuf, ImageError> {
        Ok(self.shared.slot(sha256_hex(digest)?).result)
    }

    /// What this instance did so far.
    pub fn stats(&self) -> DirCacheStats {
        let c = &self.shared.counters;
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        DirCacheStats {
            hits: n(&c.hits),
            claims: n(&c.claims),
            waits: n(&c.waits),
            takeovers: n(&c.takeovers),
            timeouts: n(&c.timeouts),
            rejected_files: n(&c.rejected_files),
            write_errors: n(&c.write_errors),
        }
    }

    /// Removes what crashed processes left behind: temporary, takeover and claim files whose
    /// mtime is older than `older_than` (choose it well above
    /// [`DirCacheOptions::stale_after`]: live claims are refreshed every heartbeat). Returns how
    /// many files were removed. Results are never removed.
    pub fn sweep(&self, older_than: Duration) -> Result<u64, ImageError> {
        let top = self.shared.root.join("sha256");
        let io_err = |p: &Path, e| ImageError::io(p.display().to_string(), e);
        let mut removed = 0;
        for sub in fs::read_dir(&top).map_err(|e| io_err(&top, e))? {
            let sub = sub.map_err(|e| io_err(&top, e))?.path();
            let Ok(entries) = fs::read_dir(&sub) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let leftover = name.starts_with(".tmp-")
                    || name.ends_with(".takeover")
                    || name.ends_with(".claim");
                if !leftover {
                    continue;
                }
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|m| SystemTime::now().duration_since(m).ok())
                    .is_some_and(|age| age > older_than);
                if old && fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

impl Drop for DirCache {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.heartbeat.take() {
            let _ = h.join();
        }
        let held: Vec<String> = self.shared.held().drain().collect();
        for hex in held {
            claim::remove_if_ours(&self.shared.slot(&hex).claim, &self.shared.owner);
        }
    }
}

impl Shared {
    fn held(&self) -> MutexGuard<'_, HashSet<String>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn slot(&self, hex: &str) -> Slot {
        let dir = self.root.join("sha256").join(hex.get(..2).unwrap_or("00"));
        Slot {
            result: dir.join(format!("{hex}.json")),
            claim: dir.join(format!("{hex}.claim")),
            takeover: dir.join(format!("{hex}.takeover")),
            dir,
        }
    }

    /// Refreshes the mtime of every claim this instance holds (a claim another process took
    /// over carries its token and is left alone).
    fn heartbeat(&self) {
        let held: Vec<String> = self.held().iter().cloned().collect();
        for hex in held {
            // A claim still being created is not there yet: nothing to refresh.
            let _ = claim::touch_if_ours(&self.slot(&hex).claim, &self.owner);
        }
    }

    /// The trusted analysis in the result file of `slot`, if any; counts a rejected file when
    /// `count` is set.
    fn read(&self, slot: &Slot, digest: &str, count: bool) -> Option<LayerAnalysis> {
        match read_result(&slot.result, digest, self.opts.max_file_bytes) {
            Ok(found) => found,
            Err(_) => {
                if count {
                    bump(&self.counters.rejected_files);
                }
                None
            }
        }
    }

    /// Releases this instance's reservation (and claim file) of `hex`, waking waiters.
    fn release(&self, hex: &str, slot: &Slot) {
        let mut held = self.held();
        if held.remove(hex) {
            claim::remove_if_ours(&slot.claim, &self.owner);
        }
        drop(held);
        self.changed.notify_all();
    }

    /// Tries to claim `hex`: `Some(true)` claimed, `Some(false)` held by someone else,
    /// `None` when no claim can be made (unwritable folder).
    fn try_claim(&self, hex: &str, slot: &Slot, digest: &str) -> Option<bool> {
        {
            let mut held = self.held();
            if held.contains(hex) {
                return Some(false);
            }
            held.insert(hex.to_string());
        }
        let made = fs::create_dir_all(&slot.dir)
            .and_then(|()| claim::create(&slot.claim, &slot.dir, &self.owner, digest));
        match made {
            Ok(true) => Some(true),
            Ok(false) => {
                self.held().remove(hex);
                self.changed.notify_all();
                Some(false)
            }
            Err(_) => {
                self.held().remove(hex);
                self.changed.notify_all();
                bump(&self.counters.write_errors);
                None
            }
        }
    }

    fn write(&self, slot: &Slot, digest: &str, analysis: &LayerAnalysis) -> io::Result<()> {
        let bytes = encode(digest, analysis)?;
        fs::create_dir_all(&slot.dir)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(&slot.dir)?;
        tmp.write_all(&bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&slot.result).map_err(|e| e.error)?;
        // The rename is durable once the folder is synced (best effort: not every file
        // system lets a folder be opened for that).
        if let Ok(d) = File::open(&slot.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl LayerCache for DirCache {
    fn get(&self, digest: &str) -> Option<LayerAnalysis> {
        let s = &*self.shared;
        let hex = sha256_hex(digest).ok()?;
        let slot = s.slot(hex);
        if let Some(a) = s.read(&slot, digest, true) {
            bump(&s.counters.hits);
            return Some(a);
        }
        let started = Instant::now();
        let mut delay = Duration::from_millis(5).min(s.opts.poll);
        let mut watch = Watch::default();
        let mut waited = false;
        loop {
            match s.try_claim(hex, &slot, digest) {
                None => return None,
                Some(true) => {
                    // The holder before us may have finished between our look and our claim.
                    if let Some(a) = s.read(&slot, digest, false) {
                        s.release(hex, &slot);
                        bump(&s.counters.hits);
                        if waited {
                            bump(&s.counters.waits);
                        }
                        return Some(a);
                    }
                    bump(&s.counters.claims);
                    return None;
                }
                Some(false) => {}
            }
            let ours_in_process = s.held().contains(hex);
            if !ours_in_process {
                match claim::read(&slot.claim) {
                    Ok(None) => continue,
                    Ok(Some(seen))
                        if watch.stale(&seen, s.opts.stale_after)
                            && claim::take_over(
                                &slot.claim,
                                &slot.takeover,
                                &seen,
                                s.opts.stale_after,
                            ) =>
                    {
                        bump(&s.counters.takeovers);
                        continue;
                    }
                    _ => {}
                }
            }
            if let Some(a) = s.read(&slot, digest, false) {
                bump(&s.counters.hits);
                bump(&s.counters.waits);
                return Some(a);
            }
            if started.elapsed() >= s.opts.max_wait {
                bump(&s.counters.timeouts);
                return None;
            }
            waited = true;
            let held = s.held();
            let _ = s.changed.wait_timeout(held, delay);
            delay = (delay * 2).min(s.opts.poll);
        }
    }

    fn put(&self, digest: &str, analysis: &LayerAnalysis) {
        let s = &*self.shared;
        let Ok(hex) = sha256_hex(digest) else {
            return;
        };
        let slot = s.slot(hex);
        // A file whose metrics name another digest would never be trusted: do not write it.
        if analysis.metrics.digest != digest || s.write(&slot, digest, analysis).is_err() {
            bump(&s.counters.write_errors);
        }
        s.release(hex, &slot);
    }

    fn abandon(&self, digest: &str) {
        if let Ok(hex) = sha256_hex(digest) {
            self.shared.release(hex, &self.shared.slot(hex));
        }
    }
}

/// The bytes of a result file.
fn encode(digest: &str, a: &LayerAnalysis) -> io::Result<Vec<u8>> {
    let body = serde_json::to_vec(&BodyOut {
        metrics: &a.metrics,
        paths: B64.encode(a.paths.to_bytes()),
    })
    .map_err(io::Error::other)?;
    let header = serde_json::to_vec(&Header {
        format: RESULT_FORMAT.into(),
        digest: digest.to_string(),
        body_bytes: body.len() as u64,
        body_sha256: sha256_of(&body),
    })
    .map_err(io::Error::other)?;
    let mut out = Vec::with_capacity(header.len() + body.len() + 2);
    out.extend_from_slice(&header);
    out.push(b'\n');
    out.extend_from_slice(&body);
    out.push(b'\n');
    Ok(out)
}

/// Reads and checks the result file at `path`: `Ok(None)` when there is none, `Err` with the
/// reason when there is one that must not be trusted.
fn read_result(path: &Path, digest: &str, limit: u64) -> Result<Option<LayerAnalysis>, String> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut bytes = Vec::new();
    f.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    decode(&bytes, digest).map(Some)
}

/// Checks and parses a result file's bytes for `digest`.
fn decode(bytes: &[u8], digest: &str) -> Result<LayerAnalysis, String> {
    let nl = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("no header line")?;
    let (head, rest) = bytes.split_at(nl);
    let header: Header = serde_json::from_slice(head).map_err(|e| format!("header: {e}"))?;
    if header.format != RESULT_FORMAT {
        return Err(format!("format {:?}", header.format));
    }
    if header.digest != digest {
        return Err(format!("names {} instead", header.digest));
    }
    let body = rest
        .get(1..)
        .and_then(|r| r.strip_suffix(b"\n"))
        .ok_or("body line incomplete")?;
    if body.len() as u64 != header.body_bytes || sha256_of(body) != header.body_sha256 {
        return Err("body does not match its header (torn or edited)".into());
    }
    let b: BodyIn = serde_json::from_slice(body).map_err(|e| format!("body: {e}"))?;
    if b.metrics.digest != digest {
        return Err(format!("metrics of {} inside", b.metrics.digest));
    }
    let raw = B64.decode(b.paths).map_err(|e| format!("paths: {e}"))?;
    let paths = PathIndex::from_bytes(&raw).map_err(|e| e.to_string())?;
    Ok(LayerAnalysis {
        metrics: b.metrics,
        paths,
    })
}
