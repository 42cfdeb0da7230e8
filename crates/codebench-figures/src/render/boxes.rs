//! Box figures: one box-and-whisker per group (quartiles, median, whiskers, outliers) on a
//! linear or logarithmic value axis.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::labels::CategoryLabels;
use super::text::{desc, draw_header, draw_no_data, number, text_style};
use super::{
    fail, Drawn, DESC_BAND, DESC_SIZE, GRID, LABEL_SIZE, MARGIN, MAX_UPRIGHT_DESC, NUMBER_BAND,
    PALETTE, WIDTH,
};
use crate::figure::BoxFigure;
use crate::stats::{box_stats, BoxStats};

pub(super) fn draw_boxes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    boxes: &BoxFigure,
) -> Drawn {
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
