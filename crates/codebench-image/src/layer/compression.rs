//! Layer compression: which compression a media type declares, which one the content shows
//! (magic numbers), and the decoder that undoes it.
//!
//! Invariants: a media type that is not a layer is an error, never a guess; the zstd decoder
//! never accepts a window over [`Limits::zstd_window_log_max`], so a hostile frame cannot make
//! it allocate at will.

use std::io::{self, BufRead, Read};

use serde::{Deserialize, Serialize};

use super::Limits;
use crate::error::ImageError;

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// gzip (RFC 1952), possibly several members.
    Gzip,
    /// Zstandard.
    Zstd,
    /// A plain tar.
    None,
}

/// Maps a layer media type to its compression; `Err` for media types that are not layers.
pub fn compression_of_media_type(media_type: &str) -> Result<Compression, ImageError> {
    let c = match media_type {
        "application/vnd.oci.image.layer.v1.tar+gzip"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        | "application/vnd.docker.image.rootfs.diff.tar.gzip"
        | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => Compression::Gzip,
        "application/vnd.oci.image.layer.v1.tar+zstd"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
        | "application/vnd.docker.image.rootfs.diff.tar.zstd" => Compression::Zstd,
        "application/vnd.oci.image.layer.v1.tar"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar"
        | "application/vnd.docker.image.rootfs.diff.tar"
        | "application/vnd.docker.image.rootfs.foreign.diff.tar" => Compression::None,
        other => {
            return Err(ImageError::MediaType {
                what: "layer".into(),
                reason: format!("unknown layer media type {other:?}"),
            })
        }
    };
    Ok(c)
}

/// The compression the first bytes of a blob show: gzip and zstd by their magic numbers,
/// anything else is taken for a plain tar (the tar walk then judges it).
pub(super) fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// The decoder for `compression` over the compressed stream `buffered`. gzip accepts several
/// members (as `docker` and `pigz` write them); zstd is held to the configured window.
pub(super) fn decoder<'a, B: BufRead + 'a>(
    buffered: B,
    compression: Compression,
    limits: &Limits,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => {
            let mut d = zstd::stream::read::Decoder::with_buffer(buffered)?;
            d.window_log_max(limits.zstd_window_log_max)?;
            Box::new(d)
        }
        Compression::None => Box::new(buffered),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_and_magic_numbers() {
        assert_eq!(
            compression_of_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip").unwrap(),
            Compression::Gzip
        );
        assert_eq!(
            compression_of_media_type("application/vnd.oci.image.layer.v1.tar+zstd").unwrap(),
            Compression::Zstd
        );
        assert_eq!(
            compression_of_media_type("application/vnd.oci.image.layer.v1.tar").unwrap(),
            Compression::None
        );
        assert!(compression_of_media_type("application/vnd.in-toto+json").is_err());
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Compression::Zstd);
        assert_eq!(sniff(b"usr/"), Compression::None);
        assert_eq!(sniff(&[]), Compression::None);
    }
}
