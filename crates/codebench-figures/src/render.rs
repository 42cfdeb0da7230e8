//! Drawing a figure on any plotters backend (SVG or bitmap), with one layout for both.
//!
//! Layout is measured with the bundled font's metrics, so SVG and PNG place everything at the
//! same pixel positions. Category labels are drawn here rather than by plotters' mesh, so they
//! sit at the centre of their bar group and are never clipped: their area is sized from the
//! longest label (cut with an ellipsis beyond [`MAX_SIDE_LABEL`] / [`MAX_UPRIGHT_LABEL`] pixels),
//! and under vertical bars they wrap onto up to three lines, or turn upright when that does not fit.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::figure::{BarFigure, BoxFigure, Figure};
use crate::stats::{box_stats, BoxStats};

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

/// Untrusted label text made drawable: control characters and the XML non-characters
/// U+FFFE/U+FFFF become spaces, whitespace is trimmed, and text beyond `max` characters is cut
/// with an ellipsis. (Markup characters are escaped by the SVG backend.)
pub(crate) fn clean(text: &str, max: usize) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let trimmed = spaced.trim();
    if trimmed.chars().count() <= max {
        return trimmed.to_owned();
    }
    let mut cut: String = trimmed.chars().take(max - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

fn text_style(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

fn width_of<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> Drawn<i32> {
    if text.is_empty() {
        return Ok(0);
    }
    let (w, _) = root.estimate_text_size(text, style).map_err(fail)?;
    Ok(w as i32)
}

/// Draws the title and, when `legend` is not empty, a centred legend under it; returns the
/// height used from the top edge.
fn draw_header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[(String, RGBColor)],
) -> Drawn<i32> {
    let title_style = text_style(TITLE_SIZE);
    let (title, _) = shorten(
        root,
        &clean(title, MAX_TITLE_CHARS),
        WIDTH as i32 - 2 * MARGIN,
        &title_style,
    )?;
    let centre = WIDTH as i32 / 2;
    let style = text_style(TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw(&Text::new(title, (centre, MARGIN), style))
        .map_err(fail)?;
    let mut bottom = MARGIN + 34;
    if legend.is_empty() {
        return Ok(bottom);
    }
    const SWATCH: i32 = 14;
    const GAP: i32 = 6;
    const SPACING: i32 = 22;
    const ROW: i32 = 22;
    let label = text_style(LABEL_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let room = WIDTH as i32 - 2 * MARGIN;
    // Greedy rows of (name, colour, item width).
    let mut rows: Vec<Vec<(String, RGBColor, i32)>> = vec![Vec::new()];
    let mut used = 0;
    for (name, colour) in legend {
        let name = clean(name, MAX_LABEL_CHARS);
        let item = SWATCH + GAP + width_of(root, &name, &label)?;
        let row = rows.last_mut().expect("rows starts non-empty");
        if !row.is_empty() && used + SPACING + item > room {
            rows.push(Vec::new());
            used = 0;
        }
        let row = rows.last_mut().expect("rows is non-empty");
        used += if row.is_empty() { item } else { SPACING + item };
        row.push((name, *colour, item));
    }
    for row in rows {
        let total: i32 =
            row.iter().map(|(_, _, w)| w).sum::<i32>() + SPACING * (row.len() as i32 - 1);
        let mut x = centre - total / 2;
        let y = bottom + ROW / 2;
        for (name, colour, item) in row {
            root.draw(&Rectangle::new(
                [(x, y - SWATCH / 2), (x + SWATCH, y + SWATCH / 2)],
                colour.filled(),
            ))
            .map_err(fail)?;
            root.draw(&Text::new(name, (x + SWATCH + GAP, y), label.clone()))
                .map_err(fail)?;
            x += item + SPACING;
        }
        bottom += ROW;
    }
    Ok(bottom + 6)
}

/// How category labels are set.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    /// Left of a vertical axis, right-aligned, one line each (horizontal bars).
    Side,
    /// Under a horizontal axis, centred, each wrapped at spaces into at most
    /// [`MAX_LABEL_LINES`] lines that fit the label's slot.
    Under,
    /// Under a horizontal axis, turned to read bottom to top: when some label cannot be wrapped
    /// to fit its slot.
    Upright,
}

/// Most lines a category label under the axis is wrapped into before labels turn upright.
const MAX_LABEL_LINES: usize = 3;
const LINE_HEIGHT: i32 = LABEL_SIZE as i32 + 3;

/// Category labels, cleaned, measured and laid out for their axis.
struct CategoryLabels {
    /// The lines of each label (one line except in [`Layout::Under`]).
    lines: Vec<Vec<String>>,
    widest: i32,
    layout: Layout,
}

impl CategoryLabels {
    /// Measures `names` for an axis of `room` pixels shared by all of them; `across` says the
    /// labels sit under a horizontal axis (vertical bars or boxes).
    fn new<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        names: impl Iterator<Item = String>,
        room: i32,
        across: bool,
    ) -> Drawn<Self> {
        let style = text_style(LABEL_SIZE);
        let texts: Vec<String> = names.map(|name| clean(&name, MAX_LABEL_CHARS)).collect();
        let single = |limit: i32| -> Drawn<Self> {
            let mut lines = Vec::with_capacity(texts.len());
            let mut widest = 0;
            for text in &texts {
                let (text, width) = shorten(root, text, limit, &style)?;
                widest = widest.max(width);
                lines.push(vec![text]);
            }
            let layout = if across {
                Layout::Upright
            } else {
                Layout::Side
            };
            Ok(Self {
                lines,
                widest,
                layout,
            })
        };
        if !across {
            return single(MAX_SIDE_LABEL);
        }
        let fit = room / texts.len().max(1) as i32 - 8;
        let mut wrapped = Vec::with_capacity(texts.len());
        for text in &texts {
            match wrap(root, text, fit, &style)? {
                Some(lines) => wrapped.push(lines),
                None => return single(MAX_UPRIGHT_LABEL),
            }
        }
        Ok(Self {
            lines: wrapped,
            widest: fit,
            layout: Layout::Under,
        })
    }

    /// Pixels the labels need across the axis (below it, or left of it).
    fn depth(&self) -> i32 {
        match self.layout {
            Layout::Side | Layout::Upright => self.widest,
            Layout::Under => {
                let most = self.lines.iter().map(Vec::len).max().unwrap_or(1) as i32;
                most * LINE_HEIGHT
            }
        }
    }

    /// Draws label `i` centred on `at`, a point on the axis: left of it for [`Layout::Side`],
    /// below it otherwise.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        i: usize,
        at: (i32, i32),
    ) -> Drawn {
        let style = text_style(LABEL_SIZE);
        for (j, line) in self.lines[i].iter().enumerate() {
            let (pos, style) = match self.layout {
                Layout::Side => (
                    (at.0 - 8, at.1),
                    style.pos(Pos::new(HPos::Right, VPos::Center)),
                ),
                Layout::Upright => (
                    (at.0, at.1 + 8),
                    style
                        .pos(Pos::new(HPos::Right, VPos::Center))
                        .transform(FontTransform::Rotate270),
                ),
                Layout::Under => (
                    (at.0, at.1 + 8 + j as i32 * LINE_HEIGHT),
                    style.pos(Pos::new(HPos::Center, VPos::Top)),
                ),
            };
            root.draw(&Text::new(line.clone(), pos, style))
                .map_err(fail)?;
        }
        Ok(())
    }
}

/// `text` cut with an ellipsis until it is at most `limit` pixels wide, and its width.
fn shorten<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    limit: i32,
    style: &TextStyle,
) -> Drawn<(String, i32)> {
    let width = width_of(root, text, style)?;
    if width <= limit {
        return Ok((text.to_owned(), width));
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut = format!("{}…", chars.iter().collect::<String>().trim_end());
        let width = width_of(root, &cut, style)?;
        if width <= limit {
            return Ok((cut, width));
        }
    }
    Ok(("…".to_owned(), width_of(root, "…", style)?))
}

/// Wraps `text` at spaces into at most [`MAX_LABEL_LINES`] lines no wider than `fit` pixels;
/// `None` when it cannot.
fn wrap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    fit: i32,
    style: &TextStyle,
) -> Drawn<Option<Vec<String>>> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if let Some(last) = lines.last_mut() {
            let joined = format!("{last} {word}");
            if width_of(root, &joined, style)? <= fit {
                *last = joined;
                continue;
            }
        }
        if width_of(root, word, style)? > fit || lines.len() == MAX_LABEL_LINES {
            return Ok(None);
        }
        lines.push(word.to_owned());
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    Ok(Some(lines))
}

/// Draws an axis description centred on `at`, upright when `upright`.
fn draw_desc<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    at: (i32, i32),
    upright: bool,
) -> Drawn {
    let mut style = text_style(DESC_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
    if upright {
        style = style.transform(FontTransform::Rotate270);
    }
    let limit = if upright {
        MAX_UPRIGHT_DESC
    } else {
        MAX_ACROSS_DESC
    };
    let (text, _) = shorten(root, &clean(text, MAX_TITLE_CHARS), limit, &style)?;
    root.draw(&Text::new(text, at, style)).map_err(fail)
}

/// An axis description cleaned and cut to `limit` pixels.
fn desc<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    limit: i32,
) -> Drawn<String> {
    let style = text_style(DESC_SIZE);
    Ok(shorten(root, &clean(text, MAX_TITLE_CHARS), limit, &style)?.0)
}

/// Writes a grey "no data" note centred on `at`.
fn draw_no_data<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    size: f64,
) -> Drawn {
    let style = (FONT, size)
        .into_font()
        .color(&NOTE)
        .pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new("no data", at, style)).map_err(fail)
}

/// A tick label: integers plainly, others with up to two decimals, huge or tiny ones in
/// scientific notation.
fn number(value: f64) -> String {
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs();
    if !(1e-2..1e7).contains(&magnitude) {
        return format!("{value:.1e}");
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn percent(share: f64) -> String {
    format!("{}%", number((share * 1000.0).round() / 10.0))
}

/// A linear axis span around data from `lo` to `hi`: some headroom, never narrower than a
/// millionth of the data's magnitude (nor 1e-9), so ticks can always be found.
fn linear_span(lo: f64, hi: f64) -> (f64, f64) {
    let floor = 1e-6 * lo.abs().max(hi.abs()).max(1e-3);
    let pad = ((hi - lo) * 0.06).max(floor);
    (lo - pad, hi + pad)
}

/// The value axis' span for bars: always including zero, a little headroom, 0..1 when empty.
fn bar_range(bars: &BarFigure) -> (f64, f64) {
    let values = bars.series.iter().flat_map(|s| s.values.iter().copied());
    let (lo, hi) = values.fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo == hi {
        return (0.0, 1.0);
    }
    let (span_lo, span_hi) = linear_span(lo, hi);
    // Bars start at zero: no room below it unless some value is negative.
    let lo = if lo < 0.0 { span_lo } else { 0.0 };
    let hi = if hi <= 0.0 {
        0.0
    } else if bars.percent && hi <= 1.0 {
        span_hi.min(1.0)
    } else {
        span_hi
    };
    (lo, hi)
}

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, bars: &BarFigure) -> Drawn {
    let legend: Vec<(String, RGBColor)> = if bars.series.len() > 1 {
        bars.series
            .iter()
            .zip(PALETTE.iter().cycle())
            .map(|(s, c)| (s.name.clone(), *c))
            .collect()
    } else {
        Vec::new()
    };
    let top = draw_header(root, &bars.title, &legend)?;
    let n = bars.categories.len();
    let across = !bars.horizontal;
    let value_band = NUMBER_BAND + DESC_BAND;
    let room = if across {
        WIDTH as i32 - 2 * MARGIN - value_band
    } else {
        HEIGHT as i32 - MARGIN - top - value_band
    };
    let labels = CategoryLabels::new(root, bars.categories.iter().cloned(), room, across)?;
    let label_band = labels.depth() + 12 + DESC_BAND;
    let (lo, hi) = bar_range(bars);
    let slots = n.max(1) as f64;
    let format = |v: &f64| {
        if bars.percent {
            percent(*v)
        } else {
            number(*v)
        }
    };
    let label_style = text_style(LABEL_SIZE);
    let desc_style = text_style(DESC_SIZE);
    let mut builder = ChartBuilder::on(root);
    builder.margin(MARGIN).margin_top(top);
    let has_data = n > 0 && !bars.series.is_empty();
    // Width of one bar within a category slot of width 1 (the group fills 80% of it).
    let bar = 0.8 / bars.series.len().max(1) as f64;

    if across {
        let mut chart = builder
            .x_label_area_size(label_band)
            .y_label_area_size(value_band)
            .build_cartesian_2d(0.0..slots, lo..hi)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(8)
            .y_label_formatter(&format)
            .y_desc(desc(root, &bars.y_label, MAX_UPRIGHT_DESC)?)
            .label_style(label_style.clone())
            .axis_desc_style(desc_style.clone())
            .bold_line_style(GRID)
            .max_light_lines(0)
            .draw()
            .map_err(fail)?;
        for (s, (series, colour)) in bars.series.iter().zip(PALETTE.iter()).enumerate() {
            chart
                .draw_series(series.values.iter().enumerate().map(|(i, v)| {
                    let x0 = i as f64 + 0.1 + s as f64 * bar;
                    Rectangle::new([(x0, 0.0), (x0 + bar, *v)], colour.filled())
                }))
                .map_err(fail)?;
        }
        for i in 0..n {
            let at = chart.backend_coord(&(i as f64 + 0.5, lo));
            labels.draw(root, i, at)?;
        }
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let middle = (xs.start + xs.end) / 2;
        draw_desc(
            root,
            &bars.x_label,
            (middle, ys.end + label_band - DESC_BAND / 2),
            false,
        )?;
        if !has_data {
            draw_no_data(
                root,
                ((xs.start + xs.end) / 2, (ys.start + ys.end) / 2),
                22.0,
            )?;
        }
    } else {
        let mut chart = builder
            .x_label_area_size(value_band - 20)
            .y_label_area_size(label_band)
            .build_cartesian_2d(lo..hi, 0.0..slots)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .x_label_formatter(&format)
            .x_desc(desc(root, &bars.y_label, MAX_ACROSS_DESC)?)
            .label_style(label_style.clone())
            .axis_desc_style(desc_style.clone())
            .bold_line_style(GRID)
            .max_light_lines(0)
            .draw()
            .map_err(fail)?;
        // Category 0 at the top: slot n - 1 - i from the bottom; series 0 uppermost in a group.
        for (s, (series, colour)) in bars.series.iter().zip(PALETTE.iter()).enumerate() {
            chart
                .draw_series(series.values.iter().enumerate().map(|(i, v)| {
                    let y1 = (n - 1 - i) as f64 + 0.9 - s as f64 * bar;
                    Rectangle::new([(0.0, y1 - bar), (*v, y1)], colour.filled())
                }))
                .map_err(fail)?;
        }
        for i in 0..n {
            let at = chart.backend_coord(&(lo, (n - 1 - i) as f64 + 0.5));
            labels.draw(root, i, at)?;
        }
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let middle = (ys.start + ys.end) / 2;
        draw_desc(
            root,
            &bars.x_label,
            (xs.start - label_band + DESC_BAND / 2, middle),
            true,
        )?;
        if !has_data {
            draw_no_data(
                root,
                ((xs.start + xs.end) / 2, (ys.start + ys.end) / 2),
                22.0,
            )?;
        }
    }
    Ok(())
}

fn draw_boxes<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, boxes: &BoxFigure) -> Drawn {
    let top = draw_header(root, &boxes.title, &[])?;
    let stats: Vec<Option<BoxStats>> = boxes.groups.iter().map(|g| box_stats(&g.values)).collect();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in stats.iter().flatten() {
        lo = lo.min(s.min);
        hi = hi.max(s.max);
    }
    if boxes.log_scale {
        let (lo, hi) = if lo.is_finite() {
            (lo / 1.6, hi * 1.6)
        } else {
            (1.0, 10.0)
        };
        draw_boxes_on(root, boxes, &stats, top, (lo..hi).log_scale())
    } else {
        let (lo, hi) = if !lo.is_finite() {
            (0.0, 1.0)
        } else if lo == hi {
            (lo - 1.0, hi + 1.0)
        } else {
            let pad = (hi - lo) * 0.06;
            let floor = if lo >= 0.0 {
                (lo - pad).max(0.0)
            } else {
                lo - pad
            };
            (floor, hi + pad)
        };
        draw_boxes_on(root, boxes, &stats, top, lo..hi)
    }
}

/// Draws the box figure with value axis `y` (linear or logarithmic).
fn draw_boxes_on<DB, Y>(
    root: &DrawingArea<DB, Shift>,
    boxes: &BoxFigure,
    stats: &[Option<BoxStats>],
    top: i32,
    y: Y,
) -> Drawn
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let n = boxes.groups.len();
    let value_band = NUMBER_BAND + DESC_BAND;
    let room = WIDTH as i32 - 2 * MARGIN - value_band;
    let names = boxes.groups.iter().map(|g| g.name.clone());
    let labels = CategoryLabels::new(root, names, room, true)?;
    let label_band = labels.depth() + 12 + DESC_BAND;
    let mut chart = ChartBuilder::on(root)
        .margin(MARGIN)
        .margin_top(top)
        .x_label_area_size(label_band)
        .y_label_area_size(value_band)
        .build_cartesian_2d(0.0..n.max(1) as f64, y)
        .map_err(fail)?;
    let format = |v: &f64| number(*v);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(8)
        .y_label_formatter(&format)
        .y_desc(desc(root, &boxes.y_label, MAX_UPRIGHT_DESC)?)
        .label_style(text_style(LABEL_SIZE))
        .axis_desc_style(text_style(DESC_SIZE))
        .bold_line_style(GRID)
        .max_light_lines(0)
        .draw()
        .map_err(fail)?;
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    let colour = PALETTE[0];
    let outline = colour.stroke_width(2);
    for (i, group) in stats.iter().enumerate() {
        let centre = i as f64 + 0.5;
        // The x pixel straight from the plot's pixel span: no y value is needed (0 is off a log axis).
        let x = xs.start + ((xs.end - xs.start) as f64 * centre / n as f64).round() as i32;
        labels.draw(root, i, (x, ys.end))?;
        let Some(s) = group else {
            draw_no_data(root, (x, (ys.start + ys.end) / 2), LABEL_SIZE)?;
            continue;
        };
        let (left, right) = (centre - 0.25, centre + 0.25);
        let (cap_left, cap_right) = (centre - 0.12, centre + 0.12);
        let whisker = BLACK.stroke_width(1);
        let lines = [
            vec![(centre, s.q3), (centre, s.upper_whisker)],
            vec![(centre, s.q1), (centre, s.lower_whisker)],
            vec![(cap_left, s.upper_whisker), (cap_right, s.upper_whisker)],
            vec![(cap_left, s.lower_whisker), (cap_right, s.lower_whisker)],
        ];
        chart
            .draw_series(lines.into_iter().map(|l| PathElement::new(l, whisker)))
            .map_err(fail)?;
        chart
            .draw_series([
                Rectangle::new([(left, s.q1), (right, s.q3)], colour.mix(0.3).filled()),
                Rectangle::new([(left, s.q1), (right, s.q3)], outline),
            ])
            .map_err(fail)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(left, s.median), (right, s.median)],
                BLACK.stroke_width(3),
            )))
            .map_err(fail)?;
        chart
            .draw_series(
                s.outliers
                    .iter()
                    .map(|v| Circle::new((centre, *v), 3, colour.stroke_width(1))),
            )
            .map_err(fail)?;
    }
    if n == 0 {
        draw_no_data(
            root,
            ((xs.start + xs.end) / 2, (ys.start + ys.end) / 2),
            22.0,
        )?;
    }
    Ok(())
}
