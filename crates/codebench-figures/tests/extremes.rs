//! Extreme but finite values never panic or hang: they render or are refused with an error.

use codebench_figures::{png, svg, BarFigure, BoxFigure, BoxGroup, Figure, FigureError, Series};

fn bars(values: Vec<f64>, percent: bool) -> Figure {
    Figure::Bars(BarFigure {
        id: "extreme".into(),
        title: "Extreme".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        categories: (0..values.len()).map(|i| format!("c{i}")).collect(),
        series: vec![Series {
            name: "s".into(),
            values,
        }],
        horizontal: false,
        percent,
    })
}

fn boxes(values: Vec<f64>, log_scale: bool) -> Figure {
    Figure::Boxes(BoxFigure {
        id: "extreme".into(),
        title: "Extreme".into(),
        y_label: "y".into(),
        groups: vec![BoxGroup {
            name: "g".into(),
            values,
        }],
        log_scale,
    })
}

/// Finite values within the bounds: all must render.
fn drawable() -> Vec<Figure> {
    let sub = 5e-324;
    let mut out = Vec::new();
    for values in [
        vec![1e15, 1.0],
        vec![-1e15, 1e15],
        vec![-5.0, -1.0],
        vec![1e-300, 2e-300],
        vec![sub, 0.0],
        vec![1.0, 1.0 + f64::EPSILON],
        vec![0.0, 0.0],
        vec![1e15 - 1.0, 1e15],
    ] {
        out.push(bars(values.clone(), false));
        out.push(bars(values.clone(), true));
        out.push(boxes(values.clone(), false));
    }
    for values in [
        vec![1e15, 1.0],
        vec![1e15],
        vec![1e-9, 1e15],
        vec![1.0, 1.0 + f64::EPSILON],
        vec![3.0, 3.0, 3.0],
    ] {
        out.push(boxes(values, true));
    }
    // Pseudo-random figures across magnitudes (a fixed LCG, so the test is repeatable).
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for round in 0..12 {
        let n = 1 + (next() * 30.0) as usize;
        let values: Vec<f64> = (0..n)
            .map(|_| {
                let magnitude = 10f64.powf(next() * 24.0 - 9.0).min(1e15);
                if round % 3 == 0 && next() < 0.3 {
                    -magnitude
                } else {
                    magnitude
                }
            })
            .collect();
        out.push(bars(values.clone(), round % 2 == 0));
        let positive = values.iter().all(|v| *v > 0.0);
        out.push(boxes(values, positive));
    }
    out
}

fn render_both(figure: &Figure) {
    let description = format!("{figure:?}");
    let svg = svg(figure).unwrap_or_else(|e| panic!("{description}: {e}"));
    roxmltree::Document::parse(&svg).expect(&description);
    let png = png(figure).unwrap_or_else(|e| panic!("{description}: {e}"));
    assert!(png.starts_with(b"\x89PNG"), "{description}");
}

#[test]
fn extreme_but_bounded_values_render() {
    for figure in drawable() {
        render_both(&figure);
    }
}

#[test]
fn values_beyond_the_bounds_are_refused() {
    for (figure, value) in [
        (bars(vec![f64::MAX, 1.0], false), f64::MAX),
        (bars(vec![1.0, -1.1e15], true), -1.1e15),
        (boxes(vec![1.0, 2e15], false), 2e15),
        (boxes(vec![f64::MAX], true), f64::MAX),
        (boxes(vec![1.0, 1e-10], true), 1e-10),
        (boxes(vec![f64::MIN_POSITIVE], true), f64::MIN_POSITIVE),
    ] {
        for error in [svg(&figure).unwrap_err(), png(&figure).unwrap_err()] {
            assert!(
                matches!(&error, FigureError::OutOfRange { id, value: got, .. }
                    if id == "extreme" && *got == value),
                "{error:?}"
            );
        }
    }
}
