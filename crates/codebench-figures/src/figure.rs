//! The figures as data, and the checks that run before anything is drawn.

use crate::error::FigureError;

/// Most categories (bar groups) or box groups one figure may have: beyond this the figure is
/// unreadable at paper size, and the bound keeps hostile input from making rendering slow.
pub const MAX_CATEGORIES: usize = 200;

/// Largest magnitude a value may have (a petabyte in bytes): beyond it axis arithmetic loses
/// precision, and plotters' tick search does not end on infinite spans.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// Smallest value a log-scale figure may show: keeps the axis within a drawable number of decades.
pub const MIN_LOG_VALUE: f64 = 1e-9;

/// Most series one bar figure may have: the colour-blind-safe palette has eight colours.
pub const MAX_SERIES: usize = 8;

/// One figure of the paper, as data.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    /// Grouped bars: one group per category, one bar per series.
    Bars(BarFigure),
    /// Box plots: one box per group.
    Boxes(BoxFigure),
}

impl Figure {
    /// The figure's id, the stem of the files [`crate::write`] makes.
    pub fn id(&self) -> &str {
        match self {
            Figure::Bars(bars) => &bars.id,
            Figure::Boxes(boxes) => &boxes.id,
        }
    }
}

/// A grouped bar chart (e.g. project kinds per rater, Dockerfile purposes).
#[derive(Debug, Clone, PartialEq)]
pub struct BarFigure {
    /// File stem, e.g. "kinds" -> kinds.svg / kinds.png; only `[a-z0-9_-]`.
    pub id: String,
    /// Title drawn above the chart.
    pub title: String,
    /// Names the category axis, whatever the orientation (below the bars when vertical, left
    /// of them when `horizontal`), so flipping `horizontal` needs no other change.
    pub x_label: String,
    /// Names the value axis, whatever the orientation.
    pub y_label: String,
    /// One bar group per category, drawn in this order (left to right, or top to bottom).
    pub categories: Vec<String>,
    /// One bar per series within a group; a legend is drawn when there is more than one.
    pub series: Vec<Series>,
    /// Bars run left to right with the category labels on the left: long category names
    /// (purposes, RUN categories) read better this way.
    pub horizontal: bool,
    /// Values are shares in 0..1 and the value axis is labelled in percent.
    pub percent: bool,
}

/// One series of a bar figure: a value per category.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Shown in the legend.
    pub name: String,
    /// One value per category, in the order of [`BarFigure::categories`].
    pub values: Vec<f64>,
}

/// Box plots: median, quartiles, whiskers at 1.5 IQR, outliers as points (see [`crate::BoxStats`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BoxFigure {
    /// File stem, e.g. "files" -> files.svg / files.png; only `[a-z0-9_-]`.
    pub id: String,
    /// Title drawn above the chart.
    pub title: String,
    /// Names the value axis.
    pub y_label: String,
    /// One box per group (e.g. one per project kind), left to right.
    pub groups: Vec<BoxGroup>,
    /// Logarithmic value axis, for values spanning orders of magnitude (file counts); every
    /// value must then be greater than zero.
    pub log_scale: bool,
}

/// The observations behind one box.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxGroup {
    /// Label under the box.
    pub name: String,
    /// The observations; none draws a "no data" note in the group's place.
    pub values: Vec<f64>,
}

/// Checks a figure before drawing: a safe id, matching lengths, finite values, positive values
/// on a log scale, and the size bounds.
pub(crate) fn validate(figure: &Figure) -> Result<(), FigureError> {
    let id = figure.id();
    if !is_safe_stem(id) {
        return Err(FigureError::UnsafeId { id: id.to_owned() });
    }
    match figure {
        Figure::Bars(bars) => validate_bars(bars),
        Figure::Boxes(boxes) => validate_boxes(boxes),
    }
}

/// A non-empty file stem of at most 64 characters from `[a-z0-9_-]`, not starting with '-'.
fn is_safe_stem(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn validate_bars(bars: &BarFigure) -> Result<(), FigureError> {
    let id = &bars.id;
    too_many(id, "categories", bars.categories.len(), MAX_CATEGORIES)?;
    too_many(id, "series", bars.series.len(), MAX_SERIES)?;
    for series in &bars.series {
        if series.values.len() != bars.categories.len() {
            return Err(FigureError::SeriesLength {
                id: id.clone(),
                series: series.name.clone(),
                values: series.values.len(),
                categories: bars.categories.len(),
            });
        }
        for (value, category) in series.values.iter().zip(&bars.categories) {
            let place = || format!("series {:?}, category {:?}", series.name, category);
            check_value(id, *value, false, place)?;
        }
    }
    Ok(())
}

fn validate_boxes(boxes: &BoxFigure) -> Result<(), FigureError> {
    let id = &boxes.id;
    too_many(id, "groups", boxes.groups.len(), MAX_CATEGORIES)?;
    for group in &boxes.groups {
        for (index, value) in group.values.iter().enumerate() {
            let place = || format!("group {:?}, value #{}", group.name, index + 1);
            check_value(id, *value, boxes.log_scale, place)?;
        }
    }
    Ok(())
}

/// A value must be finite, within [`MAX_MAGNITUDE`], and on a log scale positive and at least
/// [`MIN_LOG_VALUE`]; `place` says where it is, for the error.
fn check_value(
    id: &str,
    value: f64,
    log_scale: bool,
    place: impl Fn() -> String,
) -> Result<(), FigureError> {
    let id = id.to_owned();
    if !value.is_finite() {
        return Err(FigureError::NonFinite {
            id,
            place: place(),
            value,
        });
    }
    if log_scale && value <= 0.0 {
        return Err(FigureError::NotPositiveOnLogScale {
            id,
            place: place(),
            value,
        });
    }
    if value.abs() > MAX_MAGNITUDE || (log_scale && value < MIN_LOG_VALUE) {
        return Err(FigureError::OutOfRange {
            id,
            place: place(),
            value,
        });
    }
    Ok(())
}

fn too_many(id: &str, what: &'static str, count: usize, max: usize) -> Result<(), FigureError> {
    if count > max {
        return Err(FigureError::TooMany {
            id: id.to_owned(),
            what,
            count,
            max,
        });
    }
    Ok(())
}
