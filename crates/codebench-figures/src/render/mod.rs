//! Drawing a figure on any plotters backend (SVG or bitmap), with one layout for both.
//!
//! Layout is measured with the bundled font's metrics, so SVG and PNG place everything at the
//! same pixel positions. Category labels are drawn here rather than by plotters' mesh, so they
//! sit at the centre of their bar group and are never clipped: their area is sized from the
//! longest label (cut with an ellipsis beyond [`MAX_SIDE_LABEL`] / [`MAX_UPRIGHT_LABEL`] pixels),
//! and under vertical bars they wrap onto up to three lines, or turn upright when that does not fit.
//!
//! This module holds the canvas size, the font, the palette and the layout constants, and the
//! entry point; text (cleaning, measuring, the title and legend, axis descriptions, tick
//! numbers) is in `text.rs`, category labels in `labels.rs`, and the two kinds of figure in
//! `bars.rs` and `boxes.rs`.

mod bars;
mod boxes;
mod labels;
mod text;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::Figure;
use bars::draw_bars;
use boxes::draw_boxes;

/// Width of every figure, pixels.
pub(crate) const WIDTH: u32 = 900;
/// Height of every figure, pixels.
pub(crate) const HEIGHT: u32 = 500;
/// The family name the bundled font is registered under (and named in the SVG).
pub(crate) const FONT: &str = "sans-serif";

const MARGIN: i32 = 16;
const TITLE_SIZE: f64 = 24.0;
const DESC_SIZE: f64 = 18.0;
const LABEL_SIZE: f64 = 16.0;
/// Room for an axis description beside the tick or category labels.
const DESC_BAND: i32 = 26;
/// Room for the value axis' numbers.
const NUMBER_BAND: i32 = 56;
/// Labels longer than this many characters are cut with an ellipsis.
const MAX_LABEL_CHARS: usize = 40;
const MAX_TITLE_CHARS: usize = 80;
/// Longest an upright axis description may be, pixels (shorter than the shortest plot height).
const MAX_UPRIGHT_DESC: i32 = 260;
/// Longest a horizontal axis description may be, pixels.
const MAX_ACROSS_DESC: i32 = 600;
/// Widest a label left of the axis may be, pixels (about 45% of the width).
const MAX_SIDE_LABEL: i32 = 400;
/// Longest an upright label under the axis may be, pixels (about 40% of the height).
const MAX_UPRIGHT_LABEL: i32 = 220;

/// Okabe & Ito's colour-blind-safe palette, in the order series get it (yellow and black last:
/// yellow is faint on white, black is the axis colour).
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xF0, 0xE4, 0x42), // yellow
    RGBColor(0x00, 0x00, 0x00), // black
];
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
const NOTE: RGBColor = RGBColor(0x66, 0x66, 0x66);

type Drawn<T = ()> = Result<T, String>;

fn fail<E: std::fmt::Display>(error: E) -> String {
    error.to_string()
}

/// Draws `figure` on `root`, which must be [`WIDTH`] x [`HEIGHT`]. The figure is validated.
pub(crate) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &Figure) -> Drawn {
    root.fill(&WHITE).map_err(fail)?;
    match figure {
        Figure::Bars(bars) => draw_bars(root, bars)?,
        Figure::Boxes(boxes) => draw_boxes(root, boxes)?,
    }
    root.present().map_err(fail)
}
