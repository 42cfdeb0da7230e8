//! The paper's figures — grouped bars and box plots — rendered as SVG and PNG.
//!
//! Pure: a [`Figure`] is data in, bytes out. Output is deterministic (byte-identical for the
//! same input, so golden files can be compared) and does not depend on the machine: text is
//! drawn with DejaVu Sans bundled in the crate (`fonts/`, Bitstream Vera licence beside it)
//! through plotters' `ab_glyph` feature, never with system fonts or fontconfig. The SVG names
//! the family `sans-serif` and leaves the glyphs to the viewer; its layout is measured with the
//! bundled font, like the PNG's.
//!
//! Labels are untrusted (they come from researchers' codebooks): markup is escaped in SVG,
//! control characters are replaced, and labels longer than 40 characters (or too wide for their
//! place) are cut with an ellipsis. Category labels under vertical bars wrap onto up to three
//! lines, or stand upright when they cannot. Every figure is 900 x 500 pixels with a
//! colour-blind-safe palette (Okabe & Ito).
//!
//! `cargo run -p codebench-figures --example sample_figures -- DIR` writes sample figures.

mod error;
mod figure;
mod render;
mod stats;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use plotters::prelude::*;

pub use error::FigureError;
pub use figure::{BarFigure, BoxFigure, BoxGroup, Figure, Series, MAX_CATEGORIES, MAX_SERIES};
pub use stats::{box_stats, BoxStats};

/// Width and height of every figure in pixels (the PNG's size and the SVG's canvas).
pub const SIZE: (u32, u32) = (render::WIDTH, render::HEIGHT);

/// DejaVu Sans 2.37 (Debian's fonts-dejavu-core), licence in fonts/DejaVuSans-LICENSE.txt.
static FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Registers the bundled font with plotters once per process; `false` if it failed to parse
/// (it is checked by the tests, so this does not happen with the shipped file).
fn font_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        plotters::style::register_font(render::FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    })
}

fn prepare(figure: &Figure) -> Result<(), FigureError> {
    figure::validate(figure)?;
    if !font_ready() {
        return Err(FigureError::Draw {
            id: figure.id().to_owned(),
            message: "the bundled font DejaVuSans.ttf did not parse".to_owned(),
        });
    }
    Ok(())
}

/// Renders `figure` as an SVG document.
pub fn svg(figure: &Figure) -> Result<String, FigureError> {
    prepare(figure)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        render::draw(&root, figure).map_err(|message| draw_error(figure, message))?;
    }
    Ok(out)
}

/// Renders `figure` as a PNG image (8-bit RGB, [`SIZE`] pixels).
pub fn png(figure: &Figure) -> Result<Vec<u8>, FigureError> {
    prepare(figure)?;
    let (w, h) = SIZE;
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        render::draw(&root, figure).map_err(|message| draw_error(figure, message))?;
    }
    let png_error = |source| FigureError::Png {
        id: figure.id().to_owned(),
        source,
    };
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Fixed settings, no time chunk: the same pixels always give the same bytes.
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out)
}

fn draw_error(figure: &Figure, message: String) -> FigureError {
    FigureError::Draw {
        id: figure.id().to_owned(),
        message,
    }
}

/// Writes `<id>.svg` and `<id>.png` into `dir` (which must exist), each written to a temporary
/// name in `dir` then renamed over the final name, so a reader never sees half a file; returns
/// the two paths, SVG first. Both are rendered before either is written.
pub fn write(figure: &Figure, dir: &Path) -> Result<Vec<PathBuf>, FigureError> {
    let svg = svg(figure)?;
    let png = png(figure)?;
    let id = figure.id();
    let mut written = Vec::with_capacity(2);
    for (ext, bytes) in [("svg", svg.as_bytes()), ("png", png.as_slice())] {
        let path = dir.join(format!("{id}.{ext}"));
        // Unique per process and call, so concurrent writers never share a temporary file.
        static CALLS: AtomicU64 = AtomicU64::new(0);
        let call = CALLS.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{id}.{ext}.{}-{call}.tmp", std::process::id()));
        let io_error = |path: &Path| {
            let (id, path) = (id.to_owned(), path.to_owned());
            move |source| FigureError::Io { id, path, source }
        };
        let result = std::fs::File::create(&temp)
            .and_then(|mut file| {
                file.write_all(bytes)?;
                file.sync_all()
            })
            .map_err(io_error(&temp))
            .and_then(|()| std::fs::rename(&temp, &path).map_err(io_error(&path)));
        if let Err(error) = result {
            let _ = std::fs::remove_file(&temp);
            return Err(error);
        }
        written.push(path);
    }
    Ok(written)
}
