//! Bar figures: the value axis' span (from zero), and vertical or horizontal bars in groups,
//! one colour per series, with their legend, labels and axis descriptions.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::labels::CategoryLabels;
use super::text::{desc, draw_desc, draw_header, draw_no_data, number, percent, text_style};
use super::{
    fail, Drawn, DESC_BAND, DESC_SIZE, GRID, HEIGHT, LABEL_SIZE, MARGIN, MAX_ACROSS_DESC,
    MAX_UPRIGHT_DESC, NUMBER_BAND, PALETTE, WIDTH,
};
use crate::figure::BarFigure;

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

pub(super) fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    bars: &BarFigure,
) -> Drawn {
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
