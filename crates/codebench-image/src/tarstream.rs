//! A streaming tar reader that yields entry headers and skips their data, never storing it.
//!
//! Written here rather than using the `tar` crate because that crate reads GNU long names and PAX
//! headers into memory without a bound; untrusted layers must not make us allocate at will.
//! Supports ustar, GNU (long names, long links, sparse files) and PAX (`path`, `linkpath`, `size`).

use std::io::{self, Read, Seek, SeekFrom};

/// Largest PAX / GNU long-name block we accept.
const MAX_META_BYTES: u64 = 1 << 20;

/// What kind of filesystem object an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (including contiguous and GNU sparse files).
    File,
    /// A hard link to an earlier entry.
    HardLink,
    /// A symbolic link.
    Symlink,
    /// A directory.
    Directory,
    /// Device nodes, FIFOs and anything else.
    Other,
}

/// One tar entry header.
#[derive(Debug, Clone)]
pub struct TarEntry {
    /// The raw path (lossy UTF-8), as stored.
    pub path: String,
    /// Kind of entry.
    pub kind: EntryKind,
    /// Logical size of the file (the real size for sparse files).
    pub size: u64,
    /// Bytes of data stored in the archive after the header.
    pub stored_size: u64,
    /// Offset of the data in the archive stream.
    pub data_offset: u64,
}

/// A source the tar reader can skip forward in: by reading and discarding, or by seeking.
pub trait Skip: Read {
    /// Skip `n` bytes; `scratch` is a buffer to read into when seeking is not possible.
    fn skip(&mut self, n: u64, scratch: &mut [u8]) -> io::Result<()>;
}

/// Wraps a stream that can only be skipped by reading.
pub struct Streamed<R>(pub R);

impl<R: Read> Read for Streamed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read> Skip for Streamed<R> {
    fn skip(&mut self, mut n: u64, scratch: &mut [u8]) -> io::Result<()> {
        while n > 0 {
            let want = scratch.len().min(n as usize);
            let got = self.0.read(&mut scratch[..want])?;
            if got == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            n -= got as u64;
        }
        Ok(())
    }
}

/// Wraps a seekable file, skipped by seeking.
pub struct Seekable<R>(pub R);

impl<R: Read> Read for Seekable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read + Seek> Skip for Seekable<R> {
    fn skip(&mut self, n: u64, _scratch: &mut [u8]) -> io::Result<()> {
        let n = i64::try_from(n).map_err(|_| io::Error::other("skip too large"))?;
        self.0.seek(SeekFrom::Current(n))?;
        Ok(())
    }
}

/// A tar error with the stream offset where it happened.
#[derive(Debug)]
pub struct TarError {
    /// Offset of the header or data that failed.
    pub offset: u64,
    /// What went wrong.
    pub kind: TarErrorKind,
}

/// The classes of tar error.
#[derive(Debug)]
pub enum TarErrorKind {
    /// Reading the underlying stream failed (including decompression and transfer errors).
    Io(io::Error),
    /// The stream ended inside a header or entry data.
    Eof,
    /// The header is malformed.
    Malformed(String),
    /// An entry declares a size over the limit.
    TooLarge(u64),
}

impl std::fmt::Display for TarErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TarErrorKind::Io(e) => write!(f, "{e}"),
            TarErrorKind::Eof => write!(f, "archive ends in the middle of an entry"),
            TarErrorKind::Malformed(m) => write!(f, "{m}"),
            TarErrorKind::TooLarge(n) => write!(f, "entry declares an absurd size of {n} bytes"),
        }
    }
}

/// Reads tar headers one after another from a stream.
pub struct TarReader<R> {
    inner: R,
    pos: u64,
    /// Data (plus padding) of the previous entry still to skip.
    pending: u64,
    max_entry_size: u64,
    scratch: Vec<u8>,
    done: bool,
}

impl<R: Skip> TarReader<R> {
    /// Creates a reader; entries declaring more than `max_entry_size` bytes are errors.
    pub fn new(inner: R, max_entry_size: u64) -> Self {
        TarReader {
            inner,
            pos: 0,
            pending: 0,
            max_entry_size,
            scratch: vec![0u8; 256 * 1024],
            done: false,
        }
    }

    /// Bytes of the tar stream consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Gives back the underlying stream (positioned after the last header read or data skipped).
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn err(&self, kind: TarErrorKind) -> TarError {
        TarError {
            offset: self.pos,
            kind,
        }
    }

    fn io_err(&self, e: io::Error) -> TarError {
        if e.kind() == io::ErrorKind::UnexpectedEof && e.get_ref().is_none() {
            self.err(TarErrorKind::Eof)
        } else {
            self.err(TarErrorKind::Io(e))
        }
    }

    fn skip_pending(&mut self) -> Result<(), TarError> {
        if self.pending > 0 {
            let n = self.pending;
            let end = self.pos.checked_add(n).ok_or_else(|| {
                self.err(TarErrorKind::Malformed(
                    "entry data runs past the largest possible archive offset".into(),
                ))
            })?;
            self.inner
                .skip(n, &mut self.scratch)
                .map_err(|e| self.io_err(e))?;
            self.pos = end;
            self.pending = 0;
        }
        Ok(())
    }

    /// Reads exactly one 512-byte block; `Ok(false)` on a clean end of stream before any byte.
    fn read_block(&mut self, block: &mut [u8; 512]) -> Result<bool, TarError> {
        let mut filled = 0;
        while filled < 512 {
            match self.inner.read(&mut block[filled..]) {
                Ok(0) => {
                    if filled == 0 {
                        return Ok(false);
                    }
                    return Err(self.err(TarErrorKind::Eof));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err(e)),
            }
        }
        self.pos += 512;
        Ok(true)
    }

    /// Reads the data of a metadata entry (PAX, GNU long name), bounded.
    fn read_meta(&mut self, size: u64) -> Result<Vec<u8>, TarError> {
        if size > MAX_META_BYTES {
            return Err(self.err(TarErrorKind::Malformed(format!(
                "metadata entry of {size} bytes exceeds {MAX_META_BYTES}"
            ))));
        }
        let mut data = vec![0u8; size as usize];
        self.inner
            .read_exact(&mut data)
            .map_err(|e| self.io_err(e))?;
        self.pos += size;
        let pad = padding(size);
        self.inner
            .skip(pad, &mut self.scratch)
            .map_err(|e| self.io_err(e))?;
        self.pos += pad;
        Ok(data)
    }

    /// Reads up to `limit` bytes of the current entry's data (for small files like
    /// `manifest.json`); errors when the entry is larger.
    pub fn read_data(&mut self, entry: &TarEntry, limit: u64) -> Result<Vec<u8>, TarError> {
        if entry.stored_size > limit {
            return Err(self.err(TarErrorKind::TooLarge(entry.stored_size)));
        }
        let data = self.read_meta_unbounded(entry.stored_size)?;
        self.pending = 0;
        Ok(data)
    }

    fn read_meta_unbounded(&mut self, size: u64) -> Result<Vec<u8>, TarError> {
        let mut data = vec![0u8; size as usize];
        self.inner
            .read_exact(&mut data)
            .map_err(|e| self.io_err(e))?;
        self.pos += size;
        let pad = padding(size);
        self.inner
            .skip(pad, &mut self.scratch)
            .map_err(|e| self.io_err(e))?;
        self.pos += pad;
        Ok(data)
    }

    /// The next entry, skipping the previous entry's data; `None` at the end of the archive.
    pub fn next_entry(&mut self) -> Result<Option<TarEntry>, TarError> {
        if self.done {
            return Ok(None);
        }
        self.skip_pending()?;
        let mut long_name: Option<Vec<u8>> = None;
        let mut pax_path: Option<Vec<u8>> = None;
        let mut pax_size: Option<u64> = None;
        let mut block = [0u8; 512];
        loop {
            if !self.read_block(&mut block)? {
                // A stream without the end-of-archive blocks: accept it as ended.
                self.done = true;
                return Ok(None);
            }
            if block.iter().all(|&b| b == 0) {
                self.done = true;
                return Ok(None);
            }
            let header_offset = self.pos - 512;
            verify_checksum(&block).map_err(|m| TarError {
                offset: header_offset,
                kind: TarErrorKind::Malformed(m),
            })?;
            let size = parse_numeric(&block[124..136]).map_err(|m| TarError {
                offset: header_offset,
                kind: TarErrorKind::Malformed(format!("size field: {m}")),
            })?;
            let typeflag = block[156];
            match typeflag {
                b'L' => {
                    let mut v = self.read_meta(size)?;
                    trim_nul(&mut v);
                    long_name = Some(v);
                    continue;
                }
                b'K' => {
                    self.read_meta(size)?;
                    continue;
                }
                b'x' => {
                    let data = self.read_meta(size)?;
                    for (key, value) in parse_pax(&data).map_err(|m| TarError {
                        offset: header_offset,
                        kind: TarErrorKind::Malformed(m),
                    })? {
                        match key {
                            b"path" => pax_path = Some(value.to_vec()),
                            b"size" => {
                                let s = std::str::from_utf8(value)
                                    .ok()
                                    .and_then(|s| s.parse::<u64>().ok())
                                    .ok_or_else(|| TarError {
                                        offset: header_offset,
                                        kind: TarErrorKind::Malformed(
                                            "PAX size is not a number".into(),
                                        ),
                                    })?;
                                pax_size = Some(s);
                            }
                            _ => {}
                        }
                    }
                    continue;
                }
                b'g' | b'V' => {
                    self.read_meta(size)?;
                    continue;
                }
                _ => {}
            }
            let stored_size = pax_size.unwrap_or(size);
            let is_gnu = &block[257..265] == b"ustar  \0";
            let is_ustar = &block[257..263] == b"ustar\0";
            let path_bytes = if let Some(p) = pax_path.take() {
                p
            } else if let Some(p) = long_name.take() {
                p
            } else {
                let name = cstr(&block[0..100]);
                if is_ustar && block[345] != 0 {
                    let mut p = cstr(&block[345..500]).to_vec();
                    p.push(b'/');
                    p.extend_from_slice(name);
                    p
                } else {
                    name.to_vec()
                }
            };
            let (kind, logical) = match typeflag {
                b'0' | 0 | b'7' => (EntryKind::File, stored_size),
                b'S' if is_gnu => {
                    let real = parse_numeric(&block[483..495]).unwrap_or(stored_size);
                    (EntryKind::File, real)
                }
                b'1' => (EntryKind::HardLink, stored_size),
                b'2' => (EntryKind::Symlink, stored_size),
                b'5' | b'D' => (EntryKind::Directory, stored_size),
                _ => (EntryKind::Other, stored_size),
            };
            if stored_size > self.max_entry_size || logical > self.max_entry_size {
                return Err(TarError {
                    offset: header_offset,
                    kind: TarErrorKind::TooLarge(stored_size.max(logical)),
                });
            }
            // Hard links, symlinks, directories and devices carry no data even if the size field
            // is set (GNU tar writes 0; some writers do not): only files and unknown types do.
            let data = match kind {
                EntryKind::File | EntryKind::Other => stored_size,
                _ if typeflag == b'D' => stored_size,
                _ => 0,
            };
            self.pending = data.checked_add(padding(data)).ok_or(TarError {
                offset: header_offset,
                kind: TarErrorKind::TooLarge(data),
            })?;
            return Ok(Some(TarEntry {
                path: String::from_utf8_lossy(&path_bytes).into_owned(),
                kind,
                size: if kind == EntryKind::File { logical } else { 0 },
                stored_size: data,
                data_offset: self.pos,
            }));
        }
    }
}

fn padding(size: u64) -> u64 {
    (512 - size % 512) % 512
}

fn trim_nul(v: &mut Vec<u8>) {
    while v.last() == Some(&0) {
        v.pop();
    }
}

fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Parses an octal or GNU base-256 numeric field.
fn parse_numeric(field: &[u8]) -> Result<u64, String> {
    let Some((&first, rest)) = field.split_first() else {
        return Ok(0);
    };
    if first & 0x80 != 0 {
        if first & 0x40 != 0 {
            return Err("negative base-256 number".into());
        }
        let mut v: u64 = u64::from(first & 0x3f);
        for &b in rest {
            v = v
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(b)))
                .ok_or("base-256 number overflows 64 bits")?;
        }
        return Ok(v);
    }
    let mut v: u64 = 0;
    let mut seen = false;
    for &b in field {
        match b {
            b'0'..=b'7' => {
                seen = true;
                v = v
                    .checked_mul(8)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                    .ok_or("octal number overflows 64 bits")?;
            }
            b' ' if !seen => {}
            0 | b' ' => break,
            _ => return Err(format!("invalid octal digit {:?}", b as char)),
        }
    }
    Ok(v)
}

fn verify_checksum(block: &[u8; 512]) -> Result<(), String> {
    let stored = parse_numeric(&block[148..156]).map_err(|m| format!("checksum field: {m}"))?;
    let mut unsigned: u64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    if stored == unsigned || stored as i64 == signed {
        Ok(())
    } else {
        Err(format!(
            "header checksum mismatch (stored {stored}, computed {unsigned}): not a tar stream or corrupt"
        ))
    }
}

/// A PAX record: key and value bytes.
type PaxRecord<'a> = (&'a [u8], &'a [u8]);

/// Parses PAX records `"<len> <key>=<value>\n"`.
fn parse_pax(mut data: &[u8]) -> Result<Vec<PaxRecord<'_>>, String> {
    let mut out = Vec::new();
    while !data.is_empty() {
        if data.iter().all(|&b| b == 0) {
            break;
        }
        let sp = data
            .iter()
            .position(|&b| b == b' ')
            .ok_or("PAX record without length")?;
        let len: usize = std::str::from_utf8(&data[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("PAX record length is not a number")?;
        if len <= sp + 1 || len > data.len() {
            return Err(format!("PAX record length {len} out of range"));
        }
        let rec = &data[sp + 1..len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        let eq = rec
            .iter()
            .position(|&b| b == b'=')
            .ok_or("PAX record without '='")?;
        out.push((&rec[..eq], &rec[eq + 1..]));
        data = &data[len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_and_base256() {
        assert_eq!(parse_numeric(b"0000644\0").unwrap(), 0o644);
        assert_eq!(parse_numeric(b"   17 \0\0").unwrap(), 0o17);
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[11] = 5;
        f[10] = 1;
        assert_eq!(parse_numeric(&f).unwrap(), 261);
        assert!(parse_numeric(b"12x4\0\0\0\0").is_err());
    }

    #[test]
    fn pax_records() {
        let d = b"18 path=a/b/c.txt\n10 size=9\n";
        let r = parse_pax(d).unwrap();
        assert_eq!(r[0], (&b"path"[..], &b"a/b/c.txt"[..]));
        assert_eq!(r[1], (&b"size"[..], &b"9"[..]));
        assert!(parse_pax(b"99 path=x\n").is_err());
    }

    #[test]
    fn a_size_near_u64_max_is_an_error_not_an_overflow() {
        let mut block = [0u8; 512];
        block[..4].copy_from_slice(b"file");
        block[100..108].copy_from_slice(b"0000644\0");
        block[124] = 0x80;
        block[128..136].copy_from_slice(&(u64::MAX - 10).to_be_bytes());
        block[156] = b'0';
        block[257..263].copy_from_slice(b"ustar\0");
        block[263..265].copy_from_slice(b"00");
        block[148..156].copy_from_slice(b"        ");
        let sum: u64 = block.iter().map(|&b| u64::from(b)).sum();
        block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let mut r = TarReader::new(Streamed(&block[..]), u64::MAX);
        let e = r.next_entry().unwrap_err();
        assert!(matches!(e.kind, TarErrorKind::TooLarge(_)), "{}", e.kind);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let data = vec![7u8; 1024];
        let mut r = TarReader::new(Streamed(&data[..]), u64::MAX);
        let e = r.next_entry().unwrap_err();
        assert!(e.kind.to_string().contains("checksum"), "{}", e.kind);
    }
}
