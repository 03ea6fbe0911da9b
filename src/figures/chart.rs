//! A figure as data: panels of series, each point exactly what is drawn.
//!
//! A [`Figure`] is a grid of [`Panel`]s; a panel has two [`Axis`] (linear or log), a
//! list of [`Series`] and markers ([`Span`] shaded x-intervals, [`Rule`] vertical or
//! horizontal lines). The renderer draws a figure to SVG and PNG and writes the CSV of
//! every point drawn (one row per point: panel, series, style, x, y, lo, hi, shade), so
//! the CSV beside a figure is its data, not a summary of it.

use serde::Serialize;

/// A figure: a title, panels in a grid of `columns` columns, and a caption saying what
/// it shows and which claim or check it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// File stem: `results/figures/NAME.{svg,png,csv}`.
    pub name: String,
    /// Title drawn above the panels.
    pub title: String,
    /// Panels, row-major.
    pub panels: Vec<Panel>,
    /// Number of panel columns (≥ 1).
    pub columns: usize,
    /// One or two sentences: what is drawn, from which records or check, and the
    /// command that made them.
    pub caption: String,
}

/// One plot area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Panel {
    /// Panel title (e.g. "Gaussian kernel").
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Series, drawn in order (later on top).
    pub series: Vec<Series>,
    /// Shaded x-intervals (e.g. the δ interval where strong convexity fails).
    pub spans: Vec<Span>,
    /// Vertical and horizontal lines with labels (e.g. 2/η, the C²/b line's anchor).
    pub rules: Vec<Rule>,
    /// For [`Style::Shaded`] and [`Style::Heatmap`] series: what the shade means
    /// (drawn as a colour bar / legend title), e.g. "batch size b (log₂)".
    pub shade_label: Option<String>,
}

/// An axis: its label with symbol and unit, and its scale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    /// Label, with the symbol and unit, e.g. "smoothing degree δ = ηC/√b".
    pub label: String,
    /// Logarithmic (base 10) when the quantity spans decades; every drawn value on a
    /// log axis must be > 0.
    pub log: bool,
    /// Fixed range; `None` fits the data (with a margin).
    pub range: Option<(f64, f64)>,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Style {
    /// A solid line through (x, y).
    Line,
    /// A dashed line (references: bounds, closed forms, predicted boundaries).
    Dashed,
    /// Markers at (x, y), no line.
    Markers,
    /// A shaded band between `lo` and `hi` with the mean `y` as a line: seeds'
    /// min–max bands, as the papers draw them.
    Band,
    /// Markers coloured by `shade` on a sequential colour scale (e.g. batch size).
    Shaded,
    /// Cells of a regular grid coloured by `shade`; (x, y) are cell centres.
    Heatmap,
}

/// A labelled series of points in one style.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Legend entry.
    pub label: String,
    /// How it is drawn.
    pub style: Style,
    /// Palette index; series with the same index share a colour. `None`: by position.
    pub color: Option<usize>,
    /// The points, in drawing order.
    pub points: Vec<Point>,
}

/// One point: (x, y), and for bands the min and max, for shaded styles the shade.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Abscissa.
    pub x: f64,
    /// Ordinate (the mean for [`Style::Band`]).
    pub y: f64,
    /// Band bottom ([`Style::Band`]).
    pub lo: Option<f64>,
    /// Band top ([`Style::Band`]).
    pub hi: Option<f64>,
    /// Colour value ([`Style::Shaded`], [`Style::Heatmap`]).
    pub shade: Option<f64>,
}

impl Point {
    /// A plain point (x, y).
    #[must_use]
    pub fn xy(x: f64, y: f64) -> Self {
        Self {
            x,
            y,
            lo: None,
            hi: None,
            shade: None,
        }
    }

    /// A band point: mean `y` with min `lo` and max `hi`.
    #[must_use]
    pub fn band(x: f64, y: f64, lo: f64, hi: f64) -> Self {
        Self {
            lo: Some(lo),
            hi: Some(hi),
            ..Self::xy(x, y)
        }
    }

    /// A point coloured by `shade`.
    #[must_use]
    pub fn shaded(x: f64, y: f64, shade: f64) -> Self {
        Self {
            shade: Some(shade),
            ..Self::xy(x, y)
        }
    }
}

/// A shaded x-interval with a label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// Left end.
    pub from: f64,
    /// Right end.
    pub to: f64,
    /// Label, e.g. "not strongly convex: δ ∈ (0.0836, 0.517)".
    pub label: String,
}

/// A vertical (`x = at`) or horizontal (`y = at`) line with a label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Vertical when true, horizontal otherwise.
    pub vertical: bool,
    /// Where.
    pub at: f64,
    /// Label.
    pub label: String,
}

/// An axis with `label`, linear or logarithmic, fitted to the data.
pub fn axis(label: &str, log: bool) -> Axis {
    Axis {
        label: label.into(),
        log,
        range: None,
    }
}

/// A series.
pub fn series(
    label: impl Into<String>,
    style: Style,
    color: Option<usize>,
    points: Vec<Point>,
) -> Series {
    Series {
        label: label.into(),
        style,
        color,
        points,
    }
}

/// A panel without spans, rules or shade label.
pub fn panel(title: impl Into<String>, x: Axis, y: Axis, series: Vec<Series>) -> Panel {
    Panel {
        title: title.into(),
        x,
        y,
        series,
        spans: Vec::new(),
        rules: Vec::new(),
        shade_label: None,
    }
}

/// A labelled shaded x-interval.
pub fn span(from: f64, to: f64, label: impl Into<String>) -> Span {
    Span {
        from,
        to,
        label: label.into(),
    }
}

/// A labelled vertical (`x = at`) or horizontal (`y = at`) line.
pub fn rule(vertical: bool, at: f64, label: impl Into<String>) -> Rule {
    Rule {
        vertical,
        at,
        label: label.into(),
    }
}
