//! Rendering: SVG is well-formed XML with every label, PNGs decode and are not blank, output
//! is deterministic, bad figures are refused with errors naming them, labels are escaped.

use std::collections::HashSet;

use codebench_figures::{
    png, svg, write, BarFigure, BoxFigure, BoxGroup, Figure, FigureError, Series, MAX_SERIES, SIZE,
};

const KINDS: [&str; 6] = [
    "Application System",
    "MLOps / AIOps",
    "Toolkit",
    "deep-learning framework",
    "Model",
    "Documentation / Tutorials",
];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn kinds(horizontal: bool) -> BarFigure {
    BarFigure {
        id: "kinds".into(),
        title: "Project kinds".into(),
        x_label: "Kind".into(),
        y_label: "Share of projects".into(),
        categories: strings(&KINDS),
        series: vec![
            Series {
                name: "Rater A".into(),
                values: vec![0.42, 0.23, 0.16, 0.15, 0.03, 0.01],
            },
            Series {
                name: "Rater B".into(),
                values: vec![0.40, 0.24, 0.17, 0.15, 0.03, 0.01],
            },
        ],
        horizontal,
        percent: true,
    }
}

fn purposes() -> BarFigure {
    BarFigure {
        id: "purposes".into(),
        title: "Purposes of Dockerfiles".into(),
        x_label: "Purpose".into(),
        y_label: "Dockerfiles".into(),
        categories: strings(&[
            "Dependencies Management and Distribution",
            "Dockerfile for tests/CI",
            "Model Management",
            "Hosting",
        ]),
        series: vec![Series {
            name: "Dockerfiles".into(),
            values: vec![512.0, 120.0, 301.0, 40.0],
        }],
        horizontal: true,
        percent: false,
    }
}

fn files(log_scale: bool) -> BoxFigure {
    BoxFigure {
        id: "files".into(),
        title: "Files per image".into(),
        y_label: "Files".into(),
        groups: KINDS
            .iter()
            .enumerate()
            .map(|(i, name)| BoxGroup {
                name: name.to_string(),
                values: (1..=20 + i).map(|v| (v * v * (i + 1)) as f64).collect(),
            })
            .collect(),
        log_scale,
    }
}

/// The text of every `<text>` element, in document order.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("SVG parses as XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_owned())
        .collect()
}

/// Whether `label` is drawn: as one text, or wrapped over consecutive texts.
fn shows(texts: &[String], label: &str) -> bool {
    texts.join(" ").contains(label)
}

/// (width, height, distinct colours) of a PNG.
fn decode(bytes: &[u8]) -> (u32, u32, usize) {
    let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("PNG header decodes");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size fits")];
    let info = reader.next_frame(&mut pixels).expect("PNG data decodes");
    let channels = info.color_type.samples();
    let colours: HashSet<&[u8]> = pixels[..info.buffer_size()].chunks(channels).collect();
    (info.width, info.height, colours.len())
}

fn all_figures() -> Vec<Figure> {
    vec![
        Figure::Bars(kinds(false)),
        Figure::Bars(kinds(true)),
        Figure::Bars(purposes()),
        Figure::Boxes(files(false)),
        Figure::Boxes(files(true)),
    ]
}

#[test]
fn bar_svg_is_xml_with_title_every_label_and_legend() {
    for horizontal in [false, true] {
        let figure = kinds(horizontal);
        let texts = svg_texts(&svg(&Figure::Bars(figure.clone())).unwrap());
        for expected in [
            "Project kinds",
            "Kind",
            "Share of projects",
            "Rater A",
            "Rater B",
        ] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected:?} in {texts:?}"
            );
        }
        for label in KINDS {
            assert!(shows(&texts, label), "{label:?} in {texts:?}");
        }
        assert!(
            texts.iter().any(|t| t == "40%"),
            "percent ticks in {texts:?}"
        );
    }
    let texts = svg_texts(&svg(&Figure::Bars(purposes())).unwrap());
    // Horizontal labels are never wrapped: each is one text.
    for label in &purposes().categories {
        assert!(texts.contains(label), "{label:?} in {texts:?}");
    }
    // One series: no legend.
    assert!(!texts.iter().any(|t| t == "Dockerfiles" && texts.len() < 3));
    assert_eq!(texts.iter().filter(|t| *t == "Dockerfiles").count(), 1);
}

#[test]
fn box_svg_is_xml_with_title_and_every_group() {
    for log_scale in [false, true] {
        let texts = svg_texts(&svg(&Figure::Boxes(files(log_scale))).unwrap());
        assert!(texts.iter().any(|t| t == "Files per image"));
        assert!(texts.iter().any(|t| t == "Files"));
        for label in KINDS {
            assert!(shows(&texts, label), "{label:?} in {texts:?}");
        }
        assert!(!texts.iter().any(|t| t == "no data"));
    }
}

#[test]
fn pngs_decode_at_paper_size_and_are_not_blank() {
    for figure in all_figures() {
        let (w, h, colours) = decode(&png(&figure).unwrap());
        assert_eq!((w, h), SIZE, "{}", figure.id());
        assert_eq!(SIZE, (900, 500));
        // Palette colours plus anti-aliased text: far more than background and ink.
        assert!(colours > 20, "{}: {colours} colours", figure.id());
    }
}

#[test]
fn png_text_is_drawn_with_the_bundled_font() {
    // Only the title differs, so any difference in pixels is glyphs drawn from the font.
    let mut other = kinds(false);
    other.title = "Another title".into();
    let a = png(&Figure::Bars(kinds(false))).unwrap();
    let b = png(&Figure::Bars(other)).unwrap();
    assert_ne!(a, b);
}

#[test]
fn rendering_is_deterministic() {
    for figure in all_figures() {
        assert_eq!(
            svg(&figure).unwrap(),
            svg(&figure).unwrap(),
            "{}",
            figure.id()
        );
        assert_eq!(
            png(&figure).unwrap(),
            png(&figure).unwrap(),
            "{}",
            figure.id()
        );
    }
}

#[test]
fn rendering_from_many_threads_gives_the_same_bytes() {
    let figure = Figure::Boxes(files(true));
    let expected = png(&figure).unwrap();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| png(&figure).unwrap()))
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), expected);
        }
    });
}

#[test]
fn series_length_mismatch_is_refused() {
    let mut figure = kinds(false);
    figure.series[1].values.pop();
    let error = svg(&Figure::Bars(figure)).unwrap_err();
    assert!(
        matches!(&error, FigureError::SeriesLength { id, series, values: 5, categories: 6 }
            if id == "kinds" && series == "Rater B"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("kinds") && message.contains("Rater B"),
        "{message}"
    );
}

#[test]
fn non_finite_values_are_refused() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut bars = kinds(false);
        bars.series[0].values[2] = bad;
        let error = png(&Figure::Bars(bars)).unwrap_err();
        assert!(matches!(&error, FigureError::NonFinite { id, .. } if id == "kinds"));
        assert!(error.to_string().contains("\"Toolkit\""), "{error}");

        let mut boxes = files(false);
        boxes.groups[1].values[3] = bad;
        let error = svg(&Figure::Boxes(boxes)).unwrap_err();
        assert!(matches!(&error, FigureError::NonFinite { id, .. } if id == "files"));
        assert!(error.to_string().contains("value #4"), "{error}");
    }
}

#[test]
fn values_a_log_scale_cannot_show_are_refused() {
    for bad in [-3.0, 0.0] {
        let mut boxes = files(true);
        boxes.groups[0].values.push(bad);
        let error = svg(&Figure::Boxes(boxes.clone())).unwrap_err();
        assert!(
            matches!(&error, FigureError::NotPositiveOnLogScale { id, value, .. }
                if id == "files" && *value == bad),
            "{error:?}"
        );
        // On a linear scale the same values are fine.
        boxes.log_scale = false;
        svg(&Figure::Boxes(boxes)).unwrap();
    }
}

#[test]
fn unsafe_ids_are_refused() {
    for id in [
        "",
        "../kinds",
        "Kinds",
        "a b",
        "kinds.svg",
        "-rf",
        "k\u{e9}",
        &"x".repeat(65),
    ] {
        let mut figure = kinds(false);
        figure.id = id.to_owned();
        let error = svg(&Figure::Bars(figure)).unwrap_err();
        assert!(
            matches!(&error, FigureError::UnsafeId { id: got } if got == id),
            "{id:?}: {error:?}"
        );
    }
    for id in ["kinds", "run_categories", "fig-2", "0"] {
        let mut figure = kinds(false);
        figure.id = id.to_owned();
        svg(&Figure::Bars(figure)).unwrap();
    }
}

#[test]
fn too_many_series_are_refused() {
    let mut figure = kinds(false);
    figure.series = (0..=MAX_SERIES)
        .map(|i| Series {
            name: format!("s{i}"),
            values: vec![0.1; 6],
        })
        .collect();
    let error = svg(&Figure::Bars(figure)).unwrap_err();
    assert!(matches!(
        error,
        FigureError::TooMany {
            what: "series",
            count: 9,
            max: 8,
            ..
        }
    ));
}

#[test]
fn labels_are_escaped_in_svg() {
    let hostile = r#"<script>alert(1)</script> & "x""#;
    let mut bars = kinds(false);
    bars.title = hostile.into();
    bars.x_label = hostile.into();
    bars.categories[0] = hostile.into();
    bars.series[0].name = hostile.into();
    let mut boxes = files(true);
    boxes.y_label = hostile.into();
    boxes.groups[2].name = hostile.into();
    for figure in [Figure::Bars(bars), Figure::Boxes(boxes)] {
        let out = svg(&figure).unwrap();
        assert!(!out.to_lowercase().contains("<script"), "{out}");
        assert!(out.contains("&lt;script&gt;"));
        // The XML parser gives the label back exactly.
        let texts = svg_texts(&out);
        assert!(shows(&texts, hostile), "{texts:?}");
        png(&figure).unwrap();
    }
}

#[test]
fn control_characters_and_long_labels_are_tamed() {
    let long = "A label far longer than forty characters, to be cut short";
    let mut figure = purposes();
    figure.categories[0] = long.into();
    figure.categories[1] = "tab\there\u{0}nul\u{1b}[31mred\u{FFFE}".into();
    let texts = svg_texts(&svg(&Figure::Bars(figure.clone())).unwrap());
    let cut: String = long
        .chars()
        .take(39)
        .collect::<String>()
        .trim_end()
        .to_owned()
        + "…";
    assert!(texts.contains(&cut), "{cut:?} in {texts:?}");
    assert!(!shows(&texts, long));
    assert!(
        texts.iter().any(|t| t == "tab here nul [31mred"),
        "{texts:?}"
    );
    // Under vertical bars too.
    figure.horizontal = false;
    svg_texts(&svg(&Figure::Bars(figure)).unwrap());
}

#[test]
fn many_long_labels_under_vertical_bars_stand_upright_and_fit() {
    let mut categories: Vec<String> = (0..30)
        .map(|i| format!("Build and Packaging {i}"))
        .collect();
    // Upright labels are cut with an ellipsis beyond 220 pixels, so the plot keeps its height.
    let long = "Dependencies Management and Distribution";
    categories[29] = long.into();
    let figure = Figure::Bars(BarFigure {
        id: "many".into(),
        title: "Many".into(),
        x_label: "Purpose".into(),
        y_label: "Count".into(),
        series: vec![Series {
            name: "n".into(),
            values: (0..30).map(f64::from).collect(),
        }],
        categories: categories.clone(),
        horizontal: false,
        percent: false,
    });
    let out = svg(&figure).unwrap();
    assert!(out.contains("rotate(270"));
    let texts = svg_texts(&out);
    for label in &categories[..29] {
        assert!(texts.contains(label), "{label:?}");
    }
    let cut = texts
        .iter()
        .find(|t| t.starts_with("Dependencies Management"))
        .expect("the long label, cut");
    assert!(cut.ends_with('…') && cut.len() < long.len(), "{cut:?}");
    let (w, h, _) = decode(&png(&figure).unwrap());
    assert_eq!((w, h), SIZE);
}

#[test]
fn empty_data_draws_axes_and_a_no_data_note() {
    let mut no_categories = kinds(false);
    no_categories.categories.clear();
    for series in &mut no_categories.series {
        series.values.clear();
    }
    let mut no_series = kinds(true);
    no_series.series.clear();
    let mut no_groups = files(true);
    no_groups.groups.clear();
    let mut one_empty = files(false);
    one_empty.groups[4].values.clear();
    for figure in [
        Figure::Bars(no_categories),
        Figure::Bars(no_series),
        Figure::Boxes(no_groups),
        Figure::Boxes(one_empty),
    ] {
        let texts = svg_texts(&svg(&figure).unwrap());
        assert_eq!(
            texts.iter().filter(|t| *t == "no data").count(),
            1,
            "{}: {texts:?}",
            figure.id()
        );
        let (w, h, colours) = decode(&png(&figure).unwrap());
        assert_eq!((w, h), SIZE);
        assert!(colours > 2);
    }
}

#[test]
fn write_puts_svg_and_png_in_place_and_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let figure = Figure::Boxes(files(true));
    let paths = write(&figure, dir.path()).unwrap();
    assert_eq!(
        paths,
        vec![dir.path().join("files.svg"), dir.path().join("files.png")]
    );
    assert_eq!(
        std::fs::read_to_string(&paths[0]).unwrap(),
        svg(&figure).unwrap()
    );
    assert_eq!(std::fs::read(&paths[1]).unwrap(), png(&figure).unwrap());
    // Writing again replaces the files.
    write(&figure, dir.path()).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["files.png", "files.svg"]);

    let missing = dir.path().join("missing");
    let error = write(&figure, &missing).unwrap_err();
    assert!(
        matches!(&error, FigureError::Io { id, path, .. } if id == "files" && path.starts_with(&missing)),
        "{error:?}"
    );
    // A bad figure writes nothing.
    let mut bad = files(true);
    bad.groups[0].values[0] = f64::NAN;
    write(&Figure::Boxes(bad), dir.path()).unwrap_err();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn over_long_title_and_axis_names_are_cut_to_fit() {
    let long = "W".repeat(200);
    let mut figure = kinds(false);
    figure.title = long.clone();
    figure.x_label = long.clone();
    figure.y_label = long.clone();
    let texts = svg_texts(&svg(&Figure::Bars(figure)).unwrap());
    let cut: Vec<&String> = texts.iter().filter(|t| t.starts_with("WWW")).collect();
    assert_eq!(cut.len(), 3, "{texts:?}");
    for text in cut {
        assert!(text.ends_with('…') && text.chars().count() < 60, "{text:?}");
    }
}
