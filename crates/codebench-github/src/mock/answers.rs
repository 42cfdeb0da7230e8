//! The mock's HTTP answers: a body with its content type, JSON, GitHub's error message shape,
//! list pages and the `Link` header, and the encodings the payloads need (base64 out,
//! percent-decoding in).

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;
use serde_json::{json, Value};

pub(super) type Answer = Response<Full<Bytes>>;

pub(super) fn answer(status: StatusCode, content_type: &str, body: Vec<u8>) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

pub(super) fn json_answer(status: StatusCode, value: Value) -> Answer {
    answer(
        status,
        "application/json; charset=utf-8",
        value.to_string().into_bytes(),
    )
}

pub(super) fn message(status: StatusCode, text: &str) -> Answer {
    json_answer(
        status,
        json!({
            "message": text,
            "documentation_url": "https://docs.github.com/rest",
            "status": status.as_u16().to_string(),
        }),
    )
}

/// Item indexes `[from, to)` of `page` (1-based) of a list of `total`.
pub(super) fn page_bounds(page: u64, per_page: u64, total: u64) -> (u64, u64) {
    let from = (page - 1).saturating_mul(per_page).min(total);
    (from, from.saturating_add(per_page).min(total))
}

pub(super) fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(super) fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// GitHub's pagination header: `next`, `last`, `first` and `prev` where they apply.
pub(super) fn link_header(r: &mut Answer, page: u64, last: u64, url: impl Fn(u64) -> String) {
    let mut links = Vec::new();
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", url(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", url(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", url(1)));
        links.push(format!("<{}>; rel=\"prev\"", url((page - 1).min(last))));
    }
    if links.is_empty() {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        r.headers_mut().insert(http::header::LINK, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("feature%2Fx%20y"), "feature/x y");
        assert_eq!(percent_decode("bad%zz%"), "bad%zz%");
    }
}
