//! Text on a figure: untrusted text cleaned, measured with the bundled font and cut to fit,
//! the title with its legend, axis descriptions, the "no data" note, and tick numbers.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    fail, Drawn, DESC_SIZE, FONT, LABEL_SIZE, MARGIN, MAX_ACROSS_DESC, MAX_LABEL_CHARS,
    MAX_TITLE_CHARS, MAX_UPRIGHT_DESC, NOTE, TITLE_SIZE, WIDTH,
};

/// Untrusted label text made drawable: control characters and the XML non-characters
/// U+FFFE/U+FFFF become spaces, whitespace is trimmed, and text beyond `max` characters is cut
/// with an ellipsis. (Markup characters are escaped by the SVG backend.)
pub(super) fn clean(text: &str, max: usize) -> String {
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

pub(super) fn text_style(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

pub(super) fn width_of<DB: DrawingBackend>(
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
pub(super) fn draw_header<DB: DrawingBackend>(
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

/// `text` cut with an ellipsis until it is at most `limit` pixels wide, and its width.
pub(super) fn shorten<DB: DrawingBackend>(
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

/// Draws an axis description centred on `at`, upright when `upright`.
pub(super) fn draw_desc<DB: DrawingBackend>(
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
pub(super) fn desc<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    limit: i32,
) -> Drawn<String> {
    let style = text_style(DESC_SIZE);
    Ok(shorten(root, &clean(text, MAX_TITLE_CHARS), limit, &style)?.0)
}

/// Writes a grey "no data" note centred on `at`.
pub(super) fn draw_no_data<DB: DrawingBackend>(
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
pub(super) fn number(value: f64) -> String {
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

pub(super) fn percent(share: f64) -> String {
    format!("{}%", number((share * 1000.0).round() / 10.0))
}
