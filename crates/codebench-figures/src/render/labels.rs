//! Category labels, drawn here rather than by plotters' mesh: measured, then set left of the
//! axis, wrapped under it, or turned upright when wrapping does not fit.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::text::{clean, shorten, text_style, width_of};
use super::{fail, Drawn, LABEL_SIZE, MAX_LABEL_CHARS, MAX_SIDE_LABEL, MAX_UPRIGHT_LABEL};

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
pub(super) struct CategoryLabels {
    /// The lines of each label (one line except in [`Layout::Under`]).
    lines: Vec<Vec<String>>,
    widest: i32,
    layout: Layout,
}

impl CategoryLabels {
    /// Measures `names` for an axis of `room` pixels shared by all of them; `across` says the
    /// labels sit under a horizontal axis (vertical bars or boxes).
    pub(super) fn new<DB: DrawingBackend>(
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
    pub(super) fn depth(&self) -> i32 {
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
    pub(super) fn draw<DB: DrawingBackend>(
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
