//! Draws a [`Figure`] to `DIR/NAME.svg` and `DIR/NAME.png`, and writes `DIR/NAME.csv`
//! with every point drawn.
//!
//! # Layout
//! The figure title sits on top, the panels below it in a grid of `columns` columns
//! ([`PANEL_WIDTH`] × [`PANEL_HEIGHT`] pixels each, row-major), and the caption, wrapped,
//! at the bottom ([`size`] gives the pixel size). Every panel has its title, axis labels,
//! tick labels (log axes: decades `10ᵏ` with light lines at 2…9·10ᵏ; less than two
//! decades: 1-2-5 or 1…9 mantissas), a grid, and a legend placed in the corner of the
//! plot that covers the fewest drawn points (when every corner covers some and the y
//! range is fitted, the y range is extended upwards to make room for it). A panel with
//! [`Style::Shaded`] or [`Style::Heatmap`] series has a viridis colour bar on its right,
//! titled with [`Panel::shade_label`]; all such series of a panel share one colour scale
//! (min to max of their shades).
//!
//! How styles are drawn: `Line` solid, `Dashed` dashed (references), `Markers` markers
//! (circle, triangle, cross, square by series), `Band` a translucent min–max band with
//! the mean as a line, `Shaded` circles coloured by `shade`, `Heatmap` cells around the
//! grid points (edges halfway between neighbouring x and y values, geometric halfway on
//! log axes); [`super::Span`]s are translucent x-intervals and [`super::Rule`]s dash-dotted
//! lines, both listed in the legend with their labels. Everything is clipped to the
//! panel's range.
//!
//! # Validation
//! [`draw`] refuses (with an error naming the figure, panel, series and value) a figure
//! with no panels, zero columns, an empty name or one that is not a plain file stem, a
//! panel without any drawable point, a band point without `lo`/`hi`, a shaded or heatmap
//! point without `shade`, a fixed range that is not increasing, and any value ≤ 0 on a
//! logarithmic axis (points, band ends, spans, rules, fixed ranges). Points with a
//! non-finite value (NaN, ±∞, e.g. a diverged run) are **skipped and counted**
//! ([`Written::skipped`]): they are neither drawn nor written to the CSV.
//!
//! # The CSV
//! Header `panel,series,style,x,y,lo,hi,shade`; one row per point drawn, in drawing
//! order (panel = panel title, series = series label, style = `line`, `dashed`,
//! `markers`, `band`, `shaded`, `heatmap`; missing `lo`/`hi`/`shade` are empty), then one
//! row per span (`style = span`, `lo`/`hi` = its ends) and per rule (`style =
//! rule-vertical` with `x` = its position, or `rule-horizontal` with `y`), so the CSV is
//! the figure's data. Numbers are written in Rust's shortest round-trip form.
//!
//! Every file is written atomically (temporary file, then rename).

use super::chart::{Axis, Figure, Panel, Point, Series, Span, Style};
use anyhow::{anyhow, bail, Context as _, Result};
use plotters::coord::ranged1d::{
    KeyPointHint, KeyPointWeight, NoDefaultFormatting, Ranged, ValueFormatter,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle, FontTransform};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Width of one panel in pixels.
pub const PANEL_WIDTH: u32 = 600;
/// Height of one panel in pixels.
pub const PANEL_HEIGHT: u32 = 450;
/// Height of the figure title band in pixels.
const TITLE_HEIGHT: u32 = 44;
/// Caption font size and line height (pixels).
const CAPTION_FONT: f64 = 14.0;
const CAPTION_LINE: u32 = 19;
/// Left/right padding of the caption.
const SIDE_PAD: u32 = 16;
/// Width taken from a panel by its colour bar.
const BAR_AREA: u32 = 108;
/// Plot margins inside a panel (top, right, bottom, left).
const MARGIN: (u32, u32, u32, u32) = (8, 18, 6, 6);
/// Font sizes.
const TICK_FONT: f64 = 13.0;
const DESC_FONT: f64 = 15.0;
const LEGEND_FONT: f64 = 13.0;
const PANEL_TITLE_FONT: f64 = 17.0;
const TITLE_FONT: f64 = 22.0;
/// Legend line height and glyph width (pixels).
const LEGEND_LINE: u32 = 19;
const LEGEND_GLYPH: u32 = 30;
/// Fraction of the data range added on each side of a fitted axis.
const FIT_MARGIN: f64 = 0.04;

/// What [`draw`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `DIR/NAME.svg`.
    pub svg: PathBuf,
    /// `DIR/NAME.png`.
    pub png: PathBuf,
    /// `DIR/NAME.csv`.
    pub csv: PathBuf,
    /// Data rows of the CSV (points drawn, spans, rules).
    pub rows: usize,
    /// Points skipped because a value was not finite.
    pub skipped: usize,
    /// Pixel size (width, height) of the PNG (and of the SVG's view box).
    pub size: (u32, u32),
    /// The figure's caption (drawn under the panels).
    pub caption: String,
}

/// Registers the DejaVu Sans font (regular and bold) as plotters' `sans-serif`, once
/// per process; without a registered font the bitmap backend cannot draw text.
fn fonts() -> Result<()> {
    static FONTS: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "the DejaVu Sans font could not be registered".to_string())?;
            register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold())
                .map_err(|_| "the DejaVu Sans Bold font could not be registered".to_string())
        })
        .clone()
        .map_err(|e| anyhow!(e))
}

/// Draws `fig` to `dir/NAME.svg` and `dir/NAME.png` and writes `dir/NAME.csv` (see the
/// module docs for layout, validation and the CSV), creating `dir` if needed.
///
/// # Errors
/// An invalid figure (module docs, "Validation"), or a file that cannot be written.
pub fn draw(fig: &Figure, dir: &Path) -> Result<Written> {
    fonts()?;
    let prepared = prepare(fig)?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the figure directory {}", dir.display()))?;
    let size = size(fig)?;
    let (w, h) = size;

    let svg_path = dir.join(format!("{}.svg", fig.name));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        paint(&root, &prepared).with_context(|| format!("drawing {}", svg_path.display()))?;
        root.present()
            .map_err(|e| anyhow!("drawing {}: {e}", svg_path.display()))?;
    }
    experiments::io::write_atomic(&svg_path, svg.as_bytes())?;

    let png_path = dir.join(format!("{}.png", fig.name));
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        paint(&root, &prepared).with_context(|| format!("drawing {}", png_path.display()))?;
        root.present()
            .map_err(|e| anyhow!("drawing {}: {e}", png_path.display()))?;
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        &pixels,
        w,
        h,
        image::ExtendedColorType::Rgb8,
    )
    .with_context(|| format!("encoding {}", png_path.display()))?;
    experiments::io::write_atomic(&png_path, &png)?;

    let csv_path = dir.join(format!("{}.csv", fig.name));
    let (csv, rows) = csv(&prepared);
    experiments::io::write_atomic(&csv_path, csv.as_bytes())?;

    Ok(Written {
        svg: svg_path,
        png: png_path,
        csv: csv_path,
        rows,
        skipped: prepared.skipped,
        size,
        caption: fig.caption.clone(),
    })
}

/// The pixel size (width, height) [`draw`] gives `fig`: `columns` × [`PANEL_WIDTH`] by
/// the title band + rows × [`PANEL_HEIGHT`] + the wrapped caption.
///
/// # Errors
/// Zero columns, or the font cannot be registered.
pub fn size(fig: &Figure) -> Result<(u32, u32)> {
    fonts()?;
    if fig.columns == 0 {
        bail!("figure '{}': columns must be ≥ 1, got 0", fig.name);
    }
    let columns = fig.columns.min(fig.panels.len().max(1));
    let rows = fig.panels.len().div_ceil(columns).max(1);
    let width = columns as u32 * PANEL_WIDTH;
    let height = TITLE_HEIGHT + rows as u32 * PANEL_HEIGHT + caption_height(fig, width);
    Ok((width, height))
}

fn caption_height(fig: &Figure, width: u32) -> u32 {
    let lines = wrap(
        &fig.caption,
        width.saturating_sub(2 * SIDE_PAD),
        CAPTION_FONT,
    )
    .len();
    if lines == 0 {
        0
    } else {
        lines as u32 * CAPTION_LINE + 14
    }
}

// ---------------------------------------------------------------------------------
// Validation and preparation

/// A series with its drawable points and colour.
struct PSeries<'a> {
    series: &'a Series,
    points: Vec<Point>,
    color: RGBColor,
    /// Index among the marker series of the panel (picks the marker shape).
    marker: usize,
}

/// A validated panel.
struct PPanel<'a> {
    panel: &'a Panel,
    series: Vec<PSeries<'a>>,
    /// Common colour scale of the shaded and heatmap series.
    shade: Option<(f64, f64)>,
}

struct Prepared<'a> {
    fig: &'a Figure,
    panels: Vec<PPanel<'a>>,
    skipped: usize,
}

fn style_name(style: Style) -> &'static str {
    match style {
        Style::Line => "line",
        Style::Dashed => "dashed",
        Style::Markers => "markers",
        Style::Band => "band",
        Style::Shaded => "shaded",
        Style::Heatmap => "heatmap",
    }
}

fn prepare(fig: &Figure) -> Result<Prepared<'_>> {
    let name = &fig.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        || name.starts_with('.')
    {
        bail!("figure name '{name}' is not a plain file stem (letters, digits, '_', '-', '.')");
    }
    if fig.columns == 0 {
        bail!("figure '{name}': columns must be ≥ 1, got 0");
    }
    if fig.panels.is_empty() {
        bail!("figure '{name}' has no panels");
    }
    let mut skipped = 0;
    let mut panels = Vec::with_capacity(fig.panels.len());
    for (pi, panel) in fig.panels.iter().enumerate() {
        let at = |s: &str| format!("figure '{name}', panel {} '{}'{s}", pi + 1, panel.title);
        for (axis, which) in [(&panel.x, "x"), (&panel.y, "y")] {
            if let Some((lo, hi)) = axis.range {
                if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                    bail!(
                        "{}: the fixed {which} range ({lo}, {hi}) is not a finite increasing interval",
                        at("")
                    );
                }
                if axis.log && lo <= 0.0 {
                    bail!(
                        "{}: the {which} axis '{}' is logarithmic but its fixed range starts at {lo} ≤ 0",
                        at(""),
                        axis.label
                    );
                }
            }
        }
        let positive = |axis: &Axis, which: &str, what: &str, v: f64, s: &str| -> Result<()> {
            if axis.log && v.is_finite() && v <= 0.0 {
                bail!(
                    "{}: {what} = {v} is not positive, but the {which} axis '{}' is logarithmic",
                    at(s),
                    axis.label
                );
            }
            Ok(())
        };
        for span in &panel.spans {
            let s = format!(", span '{}'", span.label);
            if !(span.from.is_finite() && span.to.is_finite() && span.from < span.to) {
                bail!(
                    "{}: ({}, {}) is not a finite increasing interval",
                    at(&s),
                    span.from,
                    span.to
                );
            }
            positive(&panel.x, "x", "from", span.from, &s)?;
        }
        for rule in &panel.rules {
            let s = format!(", rule '{}'", rule.label);
            if !rule.at.is_finite() {
                bail!("{}: position {} is not finite", at(&s), rule.at);
            }
            let (axis, which) = if rule.vertical {
                (&panel.x, "x")
            } else {
                (&panel.y, "y")
            };
            positive(axis, which, "position", rule.at, &s)?;
        }
        let mut series = Vec::with_capacity(panel.series.len());
        let mut n_markers = 0;
        let mut shade: Option<(f64, f64)> = None;
        for (si, s) in panel.series.iter().enumerate() {
            let sat = format!(", series '{}'", s.label);
            let mut points = Vec::with_capacity(s.points.len());
            for p in &s.points {
                match s.style {
                    Style::Band if p.lo.is_none() || p.hi.is_none() => {
                        bail!("{}: a band point at x = {} has no lo/hi", at(&sat), p.x)
                    }
                    Style::Shaded | Style::Heatmap if p.shade.is_none() => {
                        bail!("{}: a point at x = {} has no shade", at(&sat), p.x)
                    }
                    _ => {}
                }
                let values = [Some(p.x), Some(p.y), p.lo, p.hi, p.shade];
                if values.iter().flatten().any(|v| !v.is_finite()) {
                    skipped += 1;
                    continue;
                }
                positive(&panel.x, "x", "x", p.x, &sat)?;
                for (what, v) in [("y", Some(p.y)), ("lo", p.lo), ("hi", p.hi)] {
                    if let Some(v) = v {
                        positive(&panel.y, "y", what, v, &sat)?;
                    }
                }
                if let (Some(lo), Some(hi)) = (p.lo, p.hi) {
                    if lo > hi {
                        bail!("{}: lo = {lo} > hi = {hi} at x = {}", at(&sat), p.x);
                    }
                }
                if let (Style::Shaded | Style::Heatmap, Some(v)) = (s.style, p.shade) {
                    shade = Some(match shade {
                        None => (v, v),
                        Some((a, b)) => (a.min(v), b.max(v)),
                    });
                }
                points.push(*p);
            }
            let marker = if s.style == Style::Markers {
                n_markers += 1;
                n_markers - 1
            } else {
                0
            };
            series.push(PSeries {
                series: s,
                points,
                color: palette(s.color.unwrap_or(si)),
                marker,
            });
        }
        if series.iter().all(|s| s.points.is_empty()) {
            bail!(
                "{}: no drawable point (no series, or every point skipped as non-finite)",
                at("")
            );
        }
        panels.push(PPanel {
            panel,
            series,
            shade,
        });
    }
    Ok(Prepared {
        fig,
        panels,
        skipped,
    })
}

// ---------------------------------------------------------------------------------
// Colours

/// The series palette (matplotlib's tab10: distinct, readable on white).
fn palette(i: usize) -> RGBColor {
    const TAB10: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = TAB10[i % TAB10.len()];
    RGBColor(r, g, b)
}

/// Span fill colours (used translucent).
fn span_color(i: usize) -> RGBColor {
    const SPANS: [(u8, u8, u8); 3] = [(255, 140, 0), (120, 120, 120), (148, 103, 189)];
    let (r, g, b) = SPANS[i % SPANS.len()];
    RGBColor(r, g, b)
}

/// Rule colours (dark, so they stand out from the series).
fn rule_color(i: usize) -> RGBColor {
    const RULES: [(u8, u8, u8); 4] = [(20, 20, 20), (150, 0, 0), (0, 60, 140), (90, 90, 90)];
    let (r, g, b) = RULES[i % RULES.len()];
    RGBColor(r, g, b)
}

/// Viridis at t ∈ [0, 1], linear between matplotlib's colours at t = k/8.
fn viridis(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 9] = [
        (68.0, 1.0, 84.0),
        (71.0, 45.0, 123.0),
        (59.0, 82.0, 139.0),
        (44.0, 114.0, 142.0),
        (33.0, 145.0, 140.0),
        (39.0, 173.0, 129.0),
        (92.0, 200.0, 99.0),
        (170.0, 220.0, 50.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let s = t * (STOPS.len() - 1) as f64;
    let i = (s.floor() as usize).min(STOPS.len() - 2);
    let f = s - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + f * (y - x)).round().clamp(0.0, 255.0) as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn shade_fraction(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        (v - lo) / (hi - lo)
    } else {
        0.5
    }
}

// ---------------------------------------------------------------------------------
// Text

fn font(size: f64) -> FontDesc<'static> {
    ("sans-serif", size).into_font()
}

/// Bold (`FontDesc::style` keeps the regular glyphs: build the bold face itself).
fn bold(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size, FontStyle::Bold)
}

/// Width in pixels of `text` at `size` (an estimate if the font cannot lay it out).
fn text_width(text: &str, size: f64) -> u32 {
    font(size)
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or_else(|_| (text.chars().count() as f64 * size * 0.6) as u32)
}

/// Greedy word wrap of `text` into lines at most `width` pixels wide.
fn wrap(text: &str, width: u32, size: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && text_width(&candidate, size) > width {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// `−` (U+2212) instead of `-` in tick labels.
fn minus(s: String) -> String {
    s.replace('-', "−")
}

fn superscript(k: i32) -> String {
    k.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}

/// `v` with up to four significant digits, trailing zeros removed.
fn plain(v: f64) -> String {
    if v.abs() < 1e-300 {
        return "0".into();
    }
    let e = v.abs().log10().floor() as i32;
    let decimals = (3 - e).max(0) as usize;
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    minus(s)
}

// ---------------------------------------------------------------------------------
// Axes: ticks and the coordinate

/// How tick labels are written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TickFormat {
    /// Fixed decimals.
    Decimals(usize),
    /// m×10ᵏ with `mantissa_decimals`.
    Scientific(usize),
    /// Decades as 10ᵏ (log axes), others plain.
    Power,
    /// [`plain`].
    Plain,
}

/// One axis: the range and ticks in drawing coordinates (log₁₀ of the value on a
/// logarithmic axis), mapped linearly to pixels.
#[derive(Debug, Clone)]
struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    major: Vec<f64>,
    minor: Vec<f64>,
    format: TickFormat,
}

/// The step of "nice" linear ticks (1, 2 or 5 × 10ᵏ) giving about `target` ticks.
fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag)
}

/// Multiples of `step` in [lo, hi] (tolerant at the ends), zero snapped to 0.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let eps = step * 1e-9;
    let first = ((lo - eps) / step).ceil() as i64;
    let last = ((hi + eps) / step).floor() as i64;
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            if v.abs() < eps {
                0.0
            } else {
                v
            }
        })
        .collect()
}

fn linear_scale(lo: f64, hi: f64, target: usize) -> Scale {
    let step = nice_step(hi - lo, target);
    let major = multiples(lo, hi, step);
    let mantissa = (step / 10f64.powf(step.log10().floor())).round();
    let minor_step = if (mantissa - 2.0).abs() < 0.5 {
        step / 4.0
    } else {
        step / 5.0
    };
    let minor = multiples(lo, hi, minor_step);
    let e = step.log10().floor() as i32;
    let biggest = lo.abs().max(hi.abs());
    let format = if biggest >= 1e5 || step < 1e-3 {
        let k = biggest.log10().floor() as i32;
        TickFormat::Scientific((k - e).max(0) as usize)
    } else {
        TickFormat::Decimals((-e).max(0) as usize)
    };
    Scale {
        lo,
        hi,
        log: false,
        major,
        minor,
        format,
    }
}

/// Ticks of a log axis over log₁₀-range [a, b].
fn log_scale(a: f64, b: f64, target: usize) -> Scale {
    let k0 = (a - 1e-9).ceil() as i32;
    let k1 = (b + 1e-9).floor() as i32;
    let decades = k1 - k0 + 1;
    let mantissas = |set: &[f64]| -> Vec<f64> {
        let mut v: Vec<f64> = ((a.floor() as i32 - 1)..=(b.ceil() as i32))
            .flat_map(|k| set.iter().map(move |&m| f64::from(k) + m.log10()))
            .filter(|&t| t >= a - 1e-9 && t <= b + 1e-9)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let all = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    let (major, minor, format) = if decades >= 2 {
        let stride = (decades as usize).div_ceil(target.max(1)).max(1) as i32;
        let major: Vec<f64> = (k0..=k1)
            .filter(|k| (k - k0) % stride == 0)
            .map(f64::from)
            .collect();
        let minor: Vec<f64> = if stride == 1 && b - a <= 12.0 {
            mantissas(&all)
        } else {
            (k0..=k1).map(f64::from).collect()
        };
        let power = major.iter().any(|&k| !(-3.0..=4.0).contains(&k));
        (
            major,
            minor,
            if power {
                TickFormat::Power
            } else {
                TickFormat::Plain
            },
        )
    } else {
        let sparse = mantissas(&[1.0, 2.0, 5.0]);
        let dense = mantissas(&all);
        if sparse.len() >= 3 {
            (sparse, dense, TickFormat::Plain)
        } else if dense.len() >= 3 {
            (dense.clone(), dense, TickFormat::Plain)
        } else {
            // Less than a factor 3: linear ticks of the values.
            let (lo, hi) = (10f64.powf(a), 10f64.powf(b));
            let step = nice_step(hi - lo, target);
            let major = multiples(lo, hi, step)
                .into_iter()
                .filter(|&v| v > 0.0)
                .map(f64::log10)
                .collect();
            (major, Vec::new(), TickFormat::Plain)
        }
    };
    Scale {
        lo: a,
        hi: b,
        log: true,
        major,
        minor,
        format,
    }
}

impl Scale {
    fn new(range: (f64, f64), log: bool, target: usize) -> Self {
        if log {
            log_scale(range.0, range.1, target)
        } else {
            linear_scale(range.0, range.1, target)
        }
    }

    /// Tick label at drawing coordinate `t`.
    fn label(&self, t: f64) -> String {
        let v = if self.log { 10f64.powf(t) } else { t };
        match self.format {
            TickFormat::Decimals(d) => minus(format!("{v:.d$}")),
            TickFormat::Scientific(d) => {
                if v.abs() < 1e-300 {
                    return "0".into();
                }
                let k = v.abs().log10().floor() as i32;
                let m = v / 10f64.powi(k);
                let m = if (m.abs() - 1.0).abs() < 1e-9 {
                    String::new()
                } else {
                    format!("{m:.d$}×")
                };
                minus(format!("{m}10{}", superscript(k)))
            }
            TickFormat::Power => {
                let k = t.round();
                if (t - k).abs() < 1e-9 {
                    format!("10{}", superscript(k as i32))
                } else {
                    plain(v)
                }
            }
            TickFormat::Plain => plain(v),
        }
    }

    /// Fraction of the way from `lo` to `hi`.
    fn fraction(&self, t: f64) -> f64 {
        (t - self.lo) / (self.hi - self.lo)
    }
}

impl Ranged for Scale {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = self.fraction(*value).clamp(-4.0, 5.0);
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        match hint.weight() {
            KeyPointWeight::Bold => self.major.clone(),
            KeyPointWeight::Any => {
                let mut all = self.minor.clone();
                all.extend(&self.major);
                all
            }
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Scale {
    fn format_ext(&self, value: &f64) -> String {
        self.label(*value)
    }
}

/// Drawing coordinate of a value on an axis.
fn tr(axis: &Axis, v: f64) -> f64 {
    if axis.log {
        v.log10()
    } else {
        v
    }
}

/// Cell edges of a heatmap: for each distinct coordinate (drawing coordinates, sorted),
/// the interval halfway to its neighbours.
struct Cells {
    centers: Vec<f64>,
    edges: Vec<f64>,
}

impl Cells {
    fn new(values: impl Iterator<Item = f64>) -> Self {
        let mut c: Vec<f64> = values.collect();
        c.sort_by(f64::total_cmp);
        let span = c.last().copied().unwrap_or(0.0) - c.first().copied().unwrap_or(0.0);
        let tol = 1e-9 * span.abs().max(1e-300);
        c.dedup_by(|a, b| (*a - *b).abs() <= tol);
        let mut edges = Vec::with_capacity(c.len() + 1);
        match c.len() {
            0 => {}
            1 => {
                edges.push(c[0] - 0.5);
                edges.push(c[0] + 0.5);
            }
            n => {
                edges.push(c[0] - 0.5 * (c[1] - c[0]));
                for w in c.windows(2) {
                    edges.push(0.5 * (w[0] + w[1]));
                }
                edges.push(c[n - 1] + 0.5 * (c[n - 1] - c[n - 2]));
            }
        }
        Self { centers: c, edges }
    }

    /// The cell [lo, hi] of coordinate `v`.
    fn cell(&self, v: f64) -> (f64, f64) {
        let i = self
            .centers
            .partition_point(|&c| c < v)
            .min(self.centers.len().saturating_sub(1));
        // The nearest of centres i − 1 and i.
        let i = if i > 0 && (v - self.centers[i - 1]).abs() < (self.centers[i] - v).abs() {
            i - 1
        } else {
            i
        };
        (self.edges[i], self.edges[i + 1])
    }
}

// ---------------------------------------------------------------------------------
// Fitting ranges

/// Drawing-coordinate extents of a panel's content: (x, y), each (min, max).
fn extents(p: &PPanel<'_>, heat: &[(Cells, Cells)]) -> ((f64, f64), (f64, f64)) {
    let (px, py) = (&p.panel.x, &p.panel.y);
    let mut xs = (f64::INFINITY, f64::NEG_INFINITY);
    let mut ys = (f64::INFINITY, f64::NEG_INFINITY);
    let add = |r: &mut (f64, f64), v: f64| {
        r.0 = r.0.min(v);
        r.1 = r.1.max(v);
    };
    let mut h = heat.iter();
    for s in &p.series {
        if s.series.style == Style::Heatmap {
            if let Some((cx, cy)) = h.next() {
                if let (Some(a), Some(b)) = (cx.edges.first(), cx.edges.last()) {
                    add(&mut xs, *a);
                    add(&mut xs, *b);
                }
                if let (Some(a), Some(b)) = (cy.edges.first(), cy.edges.last()) {
                    add(&mut ys, *a);
                    add(&mut ys, *b);
                }
            }
            continue;
        }
        for q in &s.points {
            add(&mut xs, tr(px, q.x));
            add(&mut ys, tr(py, q.y));
            for v in [q.lo, q.hi].into_iter().flatten() {
                add(&mut ys, tr(py, v));
            }
        }
    }
    for span in &p.panel.spans {
        add(&mut xs, tr(px, span.from));
        add(&mut xs, tr(px, span.to));
    }
    for rule in &p.panel.rules {
        if rule.vertical {
            add(&mut xs, tr(px, rule.at));
        } else {
            add(&mut ys, tr(py, rule.at));
        }
    }
    (xs, ys)
}

/// The drawing range of an axis: fixed, or the extents with a margin (none when a
/// heatmap fills the panel).
fn fit(axis: &Axis, ext: (f64, f64), margin: bool) -> (f64, f64) {
    if let Some((lo, hi)) = axis.range {
        return (tr(axis, lo), tr(axis, hi));
    }
    let (mut lo, mut hi) = ext;
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    if hi - lo <= 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
        let pad = if axis.log || lo.abs() < 1e-300 {
            0.5
        } else {
            0.1 * lo.abs()
        };
        return (lo - pad, hi + pad);
    }
    if margin {
        let m = FIT_MARGIN * (hi - lo);
        lo -= m;
        hi += m;
    }
    (lo, hi)
}

// ---------------------------------------------------------------------------------
// Clipping (drawing coordinates)

#[derive(Debug, Clone, Copy)]
struct Window {
    x: (f64, f64),
    y: (f64, f64),
}

impl Window {
    fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.x.0 && x <= self.x.1 && y >= self.y.0 && y <= self.y.1
    }

    /// Liang–Barsky: the part of segment a→b inside the window.
    fn segment(&self, a: (f64, f64), b: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (p, q) in [
            (-dx, a.0 - self.x.0),
            (dx, self.x.1 - a.0),
            (-dy, a.1 - self.y.0),
            (dy, self.y.1 - a.1),
        ] {
            if p.abs() < f64::MIN_POSITIVE {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        (t0 <= t1).then_some((
            (a.0 + t0 * dx, a.1 + t0 * dy),
            (a.0 + t1 * dx, a.1 + t1 * dy),
        ))
    }

    /// A polyline clipped into the pieces inside the window.
    fn polyline(&self, pts: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
        let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut cur: Vec<(f64, f64)> = Vec::new();
        if pts.len() == 1 && self.contains(pts[0]) {
            return vec![pts.to_vec()];
        }
        for w in pts.windows(2) {
            match self.segment(w[0], w[1]) {
                Some((a, b)) => {
                    let joined = cur
                        .last()
                        .is_some_and(|l| (l.0 - a.0).abs() + (l.1 - a.1).abs() < 1e-12);
                    if !joined {
                        if cur.len() > 1 {
                            out.push(std::mem::take(&mut cur));
                        }
                        cur.clear();
                        cur.push(a);
                    }
                    cur.push(b);
                }
                None => {
                    if cur.len() > 1 {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                }
            }
        }
        if cur.len() > 1 {
            out.push(cur);
        }
        out
    }

    /// Sutherland–Hodgman: a polygon clipped to the window.
    fn polygon(&self, pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let mut poly = pts.to_vec();
        // (inside test, intersection with the edge line)
        type Edge = (fn(&Window, (f64, f64)) -> bool, usize, fn(&Window) -> f64);
        let edges: [Edge; 4] = [
            (|w, p| p.0 >= w.x.0, 0, |w| w.x.0),
            (|w, p| p.0 <= w.x.1, 0, |w| w.x.1),
            (|w, p| p.1 >= w.y.0, 1, |w| w.y.0),
            (|w, p| p.1 <= w.y.1, 1, |w| w.y.1),
        ];
        for (inside, axis, at) in edges {
            if poly.is_empty() {
                break;
            }
            let c = at(self);
            let cross = |a: (f64, f64), b: (f64, f64)| {
                if axis == 0 {
                    let t = (c - a.0) / (b.0 - a.0);
                    (c, a.1 + t * (b.1 - a.1))
                } else {
                    let t = (c - a.1) / (b.1 - a.1);
                    (a.0 + t * (b.0 - a.0), c)
                }
            };
            let input = std::mem::take(&mut poly);
            let n = input.len();
            for i in 0..n {
                let cur = input[i];
                let prev = input[(i + n - 1) % n];
                match (inside(self, prev), inside(self, cur)) {
                    (true, true) => poly.push(cur),
                    (true, false) => poly.push(cross(prev, cur)),
                    (false, true) => {
                        poly.push(cross(prev, cur));
                        poly.push(cur);
                    }
                    (false, false) => {}
                }
            }
        }
        poly
    }

    /// A rectangle clipped to the window.
    fn rect(&self, x: (f64, f64), y: (f64, f64)) -> Option<((f64, f64), (f64, f64))> {
        let x = (x.0.max(self.x.0), x.1.min(self.x.1));
        let y = (y.0.max(self.y.0), y.1.min(self.y.1));
        (x.0 < x.1 && y.0 < y.1).then_some((x, y))
    }
}

// ---------------------------------------------------------------------------------
// Legend

#[derive(Debug, Clone, Copy)]
enum Glyph {
    Line(RGBColor),
    Dashed(RGBColor),
    Marker(RGBColor, usize),
    Band(RGBColor),
    Shaded,
    Span(RGBColor),
    Rule(RGBColor),
}

struct Legend {
    entries: Vec<(Glyph, String)>,
    width: u32,
    height: u32,
}

fn legend(p: &PPanel<'_>) -> Legend {
    let mut entries = Vec::new();
    for s in &p.series {
        if s.series.label.is_empty() || s.points.is_empty() {
            continue;
        }
        let glyph = match s.series.style {
            Style::Line => Glyph::Line(s.color),
            Style::Dashed => Glyph::Dashed(s.color),
            Style::Markers => Glyph::Marker(s.color, s.marker),
            Style::Band => Glyph::Band(s.color),
            Style::Shaded => Glyph::Shaded,
            Style::Heatmap => continue,
        };
        entries.push((glyph, s.series.label.clone()));
    }
    for (i, span) in p.panel.spans.iter().enumerate() {
        if !span.label.is_empty() {
            entries.push((Glyph::Span(span_color(i)), span.label.clone()));
        }
    }
    for (i, rule) in p.panel.rules.iter().enumerate() {
        if !rule.label.is_empty() {
            entries.push((Glyph::Rule(rule_color(i)), rule.label.clone()));
        }
    }
    let text = entries
        .iter()
        .map(|(_, l)| text_width(l, LEGEND_FONT))
        .max()
        .unwrap_or(0);
    Legend {
        width: 8 + LEGEND_GLYPH + 8 + text + 10,
        height: entries.len() as u32 * LEGEND_LINE + 10,
        entries,
    }
}

/// Corners in the order they are preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Corner {
    UpperRight,
    UpperLeft,
    LowerRight,
    LowerLeft,
}

const LEGEND_INSET: i32 = 8;

fn corner_origin(c: Corner, plot: (u32, u32), box_: (u32, u32)) -> (i32, i32) {
    let (pw, ph) = (plot.0 as i32, plot.1 as i32);
    let (bw, bh) = (box_.0 as i32, box_.1 as i32);
    let right = (pw - bw - LEGEND_INSET).max(0);
    let bottom = (ph - bh - LEGEND_INSET).max(0);
    match c {
        Corner::UpperRight => (right, LEGEND_INSET),
        Corner::UpperLeft => (LEGEND_INSET, LEGEND_INSET),
        Corner::LowerRight => (right, bottom),
        Corner::LowerLeft => (LEGEND_INSET, bottom),
    }
}

/// Pixel positions (in the plot, origin top-left) of the drawn points of a panel, with
/// points interpolated along lines, for scoring legend corners.
fn samples(p: &PPanel<'_>, sx: &Scale, sy: &Scale, plot: (u32, u32)) -> Vec<(f64, f64)> {
    let (pw, ph) = (f64::from(plot.0), f64::from(plot.1));
    let px = |x: f64, y: f64| {
        (
            sx.fraction(tr(&p.panel.x, x)) * pw,
            (1.0 - sy.fraction(tr(&p.panel.y, y))) * ph,
        )
    };
    let mut out = Vec::new();
    for s in &p.series {
        match s.series.style {
            Style::Heatmap => {}
            Style::Markers | Style::Shaded => {
                for q in &s.points {
                    out.push(px(q.x, q.y));
                }
            }
            Style::Line | Style::Dashed | Style::Band => {
                let lines: Vec<Vec<(f64, f64)>> = if s.series.style == Style::Band {
                    let lo = s.points.iter().map(|q| px(q.x, q.lo.unwrap_or(q.y)));
                    let hi = s.points.iter().map(|q| px(q.x, q.hi.unwrap_or(q.y)));
                    let mid = s.points.iter().map(|q| px(q.x, q.y));
                    vec![lo.collect(), hi.collect(), mid.collect()]
                } else {
                    vec![s.points.iter().map(|q| px(q.x, q.y)).collect()]
                };
                for line in lines {
                    if line.len() == 1 {
                        out.push(line[0]);
                    }
                    for w in line.windows(2) {
                        let n = ((w[1].0 - w[0].0).hypot(w[1].1 - w[0].1) / 4.0)
                            .ceil()
                            .max(1.0);
                        for k in 0..=(n as usize) {
                            let t = k as f64 / n;
                            out.push((
                                w[0].0 + t * (w[1].0 - w[0].0),
                                w[0].1 + t * (w[1].1 - w[0].1),
                            ));
                        }
                    }
                }
            }
        }
    }
    for r in &p.panel.rules {
        let n = 60;
        for k in 0..=n {
            let t = f64::from(k) / f64::from(n);
            out.push(if r.vertical {
                (sx.fraction(tr(&p.panel.x, r.at)) * pw, t * ph)
            } else {
                (t * pw, (1.0 - sy.fraction(tr(&p.panel.y, r.at))) * ph)
            });
        }
    }
    out
}

fn score(c: Corner, plot: (u32, u32), box_: (u32, u32), pts: &[(f64, f64)]) -> usize {
    let (x0, y0) = corner_origin(c, plot, box_);
    let (x0, y0) = (f64::from(x0) - 4.0, f64::from(y0) - 4.0);
    let (x1, y1) = (x0 + f64::from(box_.0) + 8.0, y0 + f64::from(box_.1) + 8.0);
    pts.iter()
        .filter(|(x, y)| *x >= x0 && *x <= x1 && *y >= y0 && *y <= y1)
        .count()
}

const CORNERS: [Corner; 4] = [
    Corner::UpperRight,
    Corner::UpperLeft,
    Corner::LowerRight,
    Corner::LowerLeft,
];

fn best_corner(plot: (u32, u32), box_: (u32, u32), pts: &[(f64, f64)]) -> (Corner, usize) {
    CORNERS
        .iter()
        .map(|&c| (c, score(c, plot, box_, pts)))
        .fold((Corner::UpperRight, usize::MAX), |best, c| {
            if c.1 < best.1 {
                c
            } else {
                best
            }
        })
}

// ---------------------------------------------------------------------------------
// Painting

type Area<DB> = DrawingArea<DB, Shift>;

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("plotters: {e}")
}

fn paint<DB: DrawingBackend>(root: &Area<DB>, prep: &Prepared<'_>) -> Result<()> {
    let fig = prep.fig;
    root.fill(&WHITE).map_err(err)?;
    let (w, _) = root.dim_in_pixel();
    let columns = fig.columns.min(fig.panels.len()).max(1);
    let rows = fig.panels.len().div_ceil(columns);
    let (header, rest) = root.split_vertically(TITLE_HEIGHT);
    let title = bold(TITLE_FONT)
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    header
        .draw_text(
            &fig.title,
            &title,
            ((w / 2) as i32, (TITLE_HEIGHT / 2) as i32),
        )
        .map_err(err)?;
    let (grid, caption) = rest.split_vertically(rows as u32 * PANEL_HEIGHT);
    let cells = grid.split_evenly((rows, columns));
    for (p, cell) in prep.panels.iter().zip(&cells) {
        paint_panel(cell, p)
            .with_context(|| format!("figure '{}', panel '{}'", fig.name, p.panel.title))?;
    }
    let text = font(CAPTION_FONT).color(&RGBColor(60, 60, 60));
    for (i, line) in wrap(&fig.caption, w.saturating_sub(2 * SIDE_PAD), CAPTION_FONT)
        .iter()
        .enumerate()
    {
        caption
            .draw_text(
                line,
                &text,
                (SIDE_PAD as i32, 6 + (i as u32 * CAPTION_LINE) as i32),
            )
            .map_err(err)?;
    }
    Ok(())
}

/// Width of the y tick labels of a scale.
fn tick_label_width(s: &Scale) -> u32 {
    s.major
        .iter()
        .map(|&t| text_width(&s.label(t), TICK_FONT))
        .max()
        .unwrap_or(0)
}

fn paint_panel<DB: DrawingBackend>(cell: &Area<DB>, p: &PPanel<'_>) -> Result<()> {
    let panel = p.panel;
    let title = font(PANEL_TITLE_FONT).color(&BLACK);
    let body = cell.titled(&panel.title, title).map_err(err)?;
    let (bw, bh) = body.dim_in_pixel();
    let (plot_side, bar_side) = if p.shade.is_some() {
        let (a, b) = body.split_horizontally(bw.saturating_sub(BAR_AREA));
        (a, Some(b))
    } else {
        (body.clone(), None)
    };
    let (side_w, _) = plot_side.dim_in_pixel();

    // Heatmap cells (drawing coordinates), one pair per heatmap series.
    let heat: Vec<(Cells, Cells)> = p
        .series
        .iter()
        .filter(|s| s.series.style == Style::Heatmap)
        .map(|s| {
            (
                Cells::new(s.points.iter().map(|q| tr(&panel.x, q.x))),
                Cells::new(s.points.iter().map(|q| tr(&panel.y, q.y))),
            )
        })
        .collect();
    let (ex, ey) = extents(p, &heat);
    let margin = heat.is_empty();
    let xr = fit(&panel.x, ex, margin);
    let mut yr = fit(&panel.y, ey, margin);

    let x_area = (TICK_FONT + DESC_FONT) as u32 + 20;
    let ticks = |yr: (f64, f64)| Scale::new(yr, panel.y.log, 6);
    let y_area = |s: &Scale| tick_label_width(s) + DESC_FONT as u32 + 26;
    let plot_dims = |y_area: u32| {
        (
            side_w.saturating_sub(MARGIN.1 + MARGIN.3 + y_area).max(1),
            bh.saturating_sub(MARGIN.0 + MARGIN.2 + x_area).max(1),
        )
    };
    let sx = Scale::new(xr, panel.x.log, 6);
    let mut sy = ticks(yr);
    let leg = legend(p);
    let box_ = (leg.width, leg.height);
    let mut plot = plot_dims(y_area(&sy));
    let mut corner = Corner::UpperRight;
    if !leg.entries.is_empty() {
        let (c, overlap) = best_corner(plot, box_, &samples(p, &sx, &sy, plot));
        corner = c;
        let room = f64::from(plot.1) - f64::from(leg.height) - 2.0 * f64::from(LEGEND_INSET as u32);
        if overlap > 0
            && panel.y.range.is_none()
            && heat.is_empty()
            && room > 0.5 * f64::from(plot.1)
        {
            // Extend the y range upwards so that the data stay below the legend.
            yr.1 = yr.0 + (yr.1 - yr.0) * f64::from(plot.1) / room;
            sy = ticks(yr);
            plot = plot_dims(y_area(&sy));
            let pts = samples(p, &sx, &sy, plot);
            corner = [Corner::UpperRight, Corner::UpperLeft]
                .into_iter()
                .min_by_key(|&c| score(c, plot, box_, &pts))
                .unwrap_or(Corner::UpperRight);
        }
    }

    let mut chart = ChartBuilder::on(&plot_side)
        .margin_top(MARGIN.0)
        .margin_right(MARGIN.1)
        .margin_bottom(MARGIN.2)
        .margin_left(MARGIN.3)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area(&sy))
        .build_cartesian_2d(sx.clone(), sy.clone())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(panel.x.label.as_str())
        .y_desc(panel.y.label.as_str())
        .axis_desc_style(font(DESC_FONT))
        .label_style(font(TICK_FONT))
        .x_labels(64)
        .y_labels(64)
        .max_light_lines(16)
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(212, 212, 212))
        .axis_style(RGBColor(90, 90, 90))
        .draw()
        .map_err(err)?;

    let win = Window {
        x: (sx.lo, sx.hi),
        y: (sy.lo, sy.hi),
    };
    let (ax, ay) = (&panel.x, &panel.y);

    // Spans: translucent x-intervals over the full height.
    for (i, span) in panel.spans.iter().enumerate() {
        if let Some(((x0, x1), (y0, y1))) = win.rect((tr(ax, span.from), tr(ax, span.to)), win.y) {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, y0), (x1, y1)],
                    span_color(i).mix(0.18).filled(),
                )))
                .map_err(err)?;
        }
    }

    // Heatmaps.
    let mut h = heat.iter();
    for s in p.series.iter().filter(|s| s.series.style == Style::Heatmap) {
        let (Some((cx, cy)), Some(range)) = (h.next(), p.shade) else {
            continue;
        };
        let rects: Vec<_> = s
            .points
            .iter()
            .filter_map(|q| {
                let r = win.rect(cx.cell(tr(ax, q.x)), cy.cell(tr(ay, q.y)))?;
                let c = viridis(shade_fraction(q.shade.unwrap_or(f64::NAN), range));
                Some(Rectangle::new(
                    [(r.0 .0, r.1 .0), (r.0 .1, r.1 .1)],
                    c.filled(),
                ))
            })
            .collect();
        chart.draw_series(rects).map_err(err)?;
    }

    // Band fills, under every line.
    for s in p.series.iter().filter(|s| s.series.style == Style::Band) {
        let mut poly: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|q| (tr(ax, q.x), tr(ay, q.hi.unwrap_or(q.y))))
            .collect();
        poly.extend(
            s.points
                .iter()
                .rev()
                .map(|q| (tr(ax, q.x), tr(ay, q.lo.unwrap_or(q.y)))),
        );
        let clipped = win.polygon(&poly);
        if clipped.len() >= 3 {
            chart
                .draw_series(std::iter::once(Polygon::new(
                    clipped,
                    s.color.mix(0.22).filled(),
                )))
                .map_err(err)?;
        }
    }

    // Lines (band means too) and dashed references.
    for s in &p.series {
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|q| (tr(ax, q.x), tr(ay, q.y)))
            .collect();
        match s.series.style {
            Style::Line | Style::Band => {
                for piece in win.polyline(&pts) {
                    chart
                        .draw_series(LineSeries::new(piece, s.color.stroke_width(2)))
                        .map_err(err)?;
                }
            }
            Style::Dashed => {
                for piece in win.polyline(&pts) {
                    chart
                        .draw_series(DashedLineSeries::new(piece, 9, 6, s.color.stroke_width(2)))
                        .map_err(err)?;
                }
            }
            _ => {}
        }
    }

    // Markers and shaded markers, on top.
    for s in &p.series {
        let inside = s
            .points
            .iter()
            .map(|q| (q, (tr(ax, q.x), tr(ay, q.y))))
            .filter(|(_, c)| win.contains(*c));
        match s.series.style {
            Style::Markers => {
                let pts: Vec<(f64, f64)> = inside.map(|(_, c)| c).collect();
                draw_markers(&mut chart, &pts, s.color, s.marker)?;
            }
            Style::Shaded => {
                let range = p.shade.unwrap_or((0.0, 1.0));
                let mut els = Vec::new();
                for (q, c) in inside {
                    let col = viridis(shade_fraction(q.shade.unwrap_or(f64::NAN), range));
                    els.push(Circle::new(c, 5, col.filled()));
                    els.push(Circle::new(
                        c,
                        5,
                        RGBColor(40, 40, 40).mix(0.6).stroke_width(1),
                    ));
                }
                chart.draw_series(els).map_err(err)?;
            }
            _ => {}
        }
    }

    // Rules.
    for (i, rule) in panel.rules.iter().enumerate() {
        let (a, b) = if rule.vertical {
            let x = tr(ax, rule.at);
            ((x, win.y.0), (x, win.y.1))
        } else {
            let y = tr(ay, rule.at);
            ((win.x.0, y), (win.x.1, y))
        };
        if let Some((a, b)) = win.segment(a, b) {
            chart
                .draw_series(DashedLineSeries::new(
                    [a, b],
                    12,
                    5,
                    rule_color(i).stroke_width(2),
                ))
                .map_err(err)?;
        }
    }

    // Legend.
    if !leg.entries.is_empty() {
        let area = chart.plotting_area().strip_coord_spec();
        draw_legend(
            &area,
            &leg,
            corner_origin(corner, area.dim_in_pixel(), box_),
        )?;
    }

    // Colour bar.
    if let (Some(bar), Some(range)) = (bar_side, p.shade) {
        let top = MARGIN.0 as i32;
        let bottom = (bh - MARGIN.2 - x_area) as i32;
        draw_colorbar(&bar, range, (top, bottom), panel.shade_label.as_deref())?;
    }
    Ok(())
}

fn draw_markers<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<Scale, Scale>>,
    pts: &[(f64, f64)],
    color: RGBColor,
    shape: usize,
) -> Result<()> {
    let style = color.filled();
    match shape % 4 {
        0 => chart
            .draw_series(pts.iter().map(|&c| Circle::new(c, 4, style)))
            .map(|_| ()),
        1 => chart
            .draw_series(pts.iter().map(|&c| TriangleMarker::new(c, 6, style)))
            .map(|_| ()),
        2 => chart
            .draw_series(pts.iter().map(|&c| Cross::new(c, 4, color.stroke_width(2))))
            .map(|_| ()),
        _ => chart
            .draw_series(
                pts.iter()
                    .map(|&c| EmptyElement::at(c) + Rectangle::new([(-4, -4), (4, 4)], style)),
            )
            .map(|_| ()),
    }
    .map_err(err)
}

fn draw_glyph<DB: DrawingBackend>(area: &Area<DB>, g: Glyph, x: i32, y: i32) -> Result<()> {
    let w = LEGEND_GLYPH as i32;
    let line = |c: RGBColor| PathElement::new(vec![(x, y), (x + w, y)], c.stroke_width(2));
    match g {
        Glyph::Line(c) => area.draw(&line(c)),
        Glyph::Dashed(c) => {
            for k in 0..3 {
                area.draw(&PathElement::new(
                    vec![(x + k * 11, y), (x + k * 11 + 7, y)],
                    c.stroke_width(2),
                ))
                .map_err(err)?;
            }
            Ok(())
        }
        Glyph::Rule(c) => {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 14, y)],
                c.stroke_width(2),
            ))
            .map_err(err)?;
            area.draw(&PathElement::new(
                vec![(x + 19, y), (x + w, y)],
                c.stroke_width(2),
            ))
        }
        Glyph::Marker(c, shape) => {
            let center = (x + w / 2, y);
            match shape % 4 {
                0 => area.draw(&Circle::new(center, 4, c.filled())),
                1 => area.draw(&TriangleMarker::new(center, 6, c.filled())),
                2 => area.draw(&Cross::new(center, 4, c.stroke_width(2))),
                _ => area.draw(&Rectangle::new(
                    [(center.0 - 4, y - 4), (center.0 + 4, y + 4)],
                    c.filled(),
                )),
            }
        }
        Glyph::Band(c) => {
            area.draw(&Rectangle::new(
                [(x, y - 6), (x + w, y + 6)],
                c.mix(0.22).filled(),
            ))
            .map_err(err)?;
            area.draw(&line(c))
        }
        Glyph::Shaded => {
            area.draw(&Circle::new((x + w / 2, y), 5, viridis(0.5).filled()))
                .map_err(err)?;
            area.draw(&Circle::new(
                (x + w / 2, y),
                5,
                RGBColor(40, 40, 40).mix(0.6).stroke_width(1),
            ))
        }
        Glyph::Span(c) => area.draw(&Rectangle::new(
            [(x, y - 7), (x + w, y + 7)],
            c.mix(0.3).filled(),
        )),
    }
    .map_err(err)
}

fn draw_legend<DB: DrawingBackend>(
    area: &Area<DB>,
    leg: &Legend,
    (x0, y0): (i32, i32),
) -> Result<()> {
    let (x1, y1) = (x0 + leg.width as i32, y0 + leg.height as i32);
    area.draw(&Rectangle::new(
        [(x0, y0), (x1, y1)],
        WHITE.mix(0.88).filled(),
    ))
    .map_err(err)?;
    area.draw(&Rectangle::new(
        [(x0, y0), (x1, y1)],
        RGBColor(160, 160, 160).stroke_width(1),
    ))
    .map_err(err)?;
    let text = font(LEGEND_FONT)
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (glyph, label)) in leg.entries.iter().enumerate() {
        let y = y0 + 5 + (i as u32 * LEGEND_LINE + LEGEND_LINE / 2) as i32;
        draw_glyph(area, *glyph, x0 + 8, y)?;
        area.draw_text(label, &text, (x0 + 8 + LEGEND_GLYPH as i32 + 8, y))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_colorbar<DB: DrawingBackend>(
    area: &Area<DB>,
    range: (f64, f64),
    (top, bottom): (i32, i32),
    label: Option<&str>,
) -> Result<()> {
    let (lo, hi) = if range.1 > range.0 {
        range
    } else {
        (range.0 - 0.5, range.1 + 0.5)
    };
    let (x0, x1) = (8, 24);
    let steps = 96;
    let height = f64::from(bottom - top);
    for k in 0..steps {
        let ya = bottom - (height * f64::from(k) / f64::from(steps)).round() as i32;
        let yb = bottom - (height * f64::from(k + 1) / f64::from(steps)).round() as i32;
        let c = viridis((f64::from(k) + 0.5) / f64::from(steps));
        area.draw(&Rectangle::new([(x0, yb), (x1, ya)], c.filled()))
            .map_err(err)?;
    }
    area.draw(&Rectangle::new(
        [(x0, top), (x1, bottom)],
        RGBColor(90, 90, 90).stroke_width(1),
    ))
    .map_err(err)?;
    let scale = linear_scale(lo, hi, 5);
    let text = font(TICK_FONT)
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for &t in &scale.major {
        let y = bottom - (height * (t - lo) / (hi - lo)).round() as i32;
        area.draw(&PathElement::new(
            vec![(x1, y), (x1 + 4, y)],
            RGBColor(90, 90, 90).stroke_width(1),
        ))
        .map_err(err)?;
        area.draw_text(&scale.label(t), &text, (x1 + 6, y))
            .map_err(err)?;
    }
    if let Some(label) = label {
        let widest = tick_label_width(&scale) as i32;
        let style = font(DESC_FONT)
            .color(&BLACK)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Center));
        area.draw_text(label, &style, (x1 + 6 + widest + 14, (top + bottom) / 2))
            .map_err(err)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// CSV

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn number(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn csv(prep: &Prepared<'_>) -> (String, usize) {
    let mut out = String::from("panel,series,style,x,y,lo,hi,shade\n");
    let mut rows = 0;
    let mut row = |panel: &str, series: &str, style: &str, v: [Option<f64>; 5]| {
        out.push_str(&format!(
            "{},{},{style},{},{},{},{},{}\n",
            field(panel),
            field(series),
            number(v[0]),
            number(v[1]),
            number(v[2]),
            number(v[3]),
            number(v[4])
        ));
        rows += 1;
    };
    for p in &prep.panels {
        let title = &p.panel.title;
        for s in &p.series {
            for q in &s.points {
                row(
                    title,
                    &s.series.label,
                    style_name(s.series.style),
                    [Some(q.x), Some(q.y), q.lo, q.hi, q.shade],
                );
            }
        }
        for Span { from, to, label } in &p.panel.spans {
            row(
                title,
                label,
                "span",
                [None, None, Some(*from), Some(*to), None],
            );
        }
        for r in &p.panel.rules {
            let (style, v) = if r.vertical {
                ("rule-vertical", [Some(r.at), None, None, None, None])
            } else {
                ("rule-horizontal", [None, Some(r.at), None, None, None])
            };
            row(title, &r.label, style, v);
        }
    }
    (out, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_nice_and_inside() {
        let s = linear_scale(-0.13, 2.71, 6);
        assert_eq!(s.major, vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
        assert_eq!(s.label(1.5), "1.5");
        assert_eq!(s.label(0.0), "0.0");
        let s = linear_scale(-3e-5, 4e-5, 6);
        assert_eq!(s.label(2e-5), "2×10⁻⁵");
    }

    #[test]
    fn log_ticks_are_decades_or_mantissas() {
        let s = log_scale(-3.2, 1.4, 6);
        assert_eq!(s.major, vec![-3.0, -2.0, -1.0, 0.0, 1.0]);
        assert_eq!(s.label(-2.0), "0.01");
        let s = log_scale(-7.5, -1.0, 6);
        assert_eq!(s.label(-6.0), "10⁻⁶");
        // Less than a decade: 1-2-5 or 1…9 mantissas.
        let s = log_scale(0.2_f64.log10(), 0.9_f64.log10(), 6);
        let labels: Vec<String> = s.major.iter().map(|&t| s.label(t)).collect();
        assert_eq!(
            labels,
            vec!["0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]
        );
    }

    #[test]
    fn clipping_keeps_the_inside_part() {
        let w = Window {
            x: (0.0, 1.0),
            y: (0.0, 1.0),
        };
        let s = w.segment((-1.0, 0.5), (2.0, 0.5)).unwrap();
        assert!((s.0 .0).abs() < 1e-12 && (s.1 .0 - 1.0).abs() < 1e-12);
        assert!(w.segment((-1.0, 2.0), (2.0, 2.0)).is_none());
        let pieces = w.polyline(&[(0.5, 0.5), (0.5, 2.0), (0.6, 2.0), (0.6, 0.5)]);
        assert_eq!(pieces.len(), 2);
        let poly = w.polygon(&[(-1.0, -1.0), (2.0, -1.0), (2.0, 2.0), (-1.0, 2.0)]);
        let area: f64 = (0..poly.len())
            .map(|i| {
                let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
                a.0 * b.1 - b.0 * a.1
            })
            .sum::<f64>()
            / 2.0;
        assert!((area.abs() - 1.0).abs() < 1e-12, "{poly:?}");
    }

    #[test]
    fn heatmap_cells_meet_halfway() {
        let c = Cells::new([0.0, 1.0, 3.0, 1.0].into_iter());
        assert_eq!(c.centers, vec![0.0, 1.0, 3.0]);
        assert_eq!(c.cell(1.0), (0.5, 2.0));
        assert_eq!(c.cell(3.0), (2.0, 4.0));
        assert_eq!(c.cell(0.0), (-0.5, 0.5));
    }

    #[test]
    fn wrap_respects_width() {
        fonts().unwrap();
        let lines = wrap(
            "one two three four five six seven eight nine ten",
            120,
            14.0,
        );
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| text_width(l, 14.0) <= 120));
    }
    use crate::figures::{Rule, Span};

    /// A figure with every style, two panels, a log axis and a colour bar.
    fn sample() -> Figure {
        let xs: Vec<f64> = (1..=40).map(|k| f64::from(k) * 0.25).collect();
        let line = Series {
            label: "sin x + 2".into(),
            style: Style::Line,
            color: None,
            points: xs.iter().map(|&x| Point::xy(x, x.sin() + 2.0)).collect(),
        };
        let band = Series {
            label: "band, mean".into(),
            style: Style::Band,
            color: Some(2),
            points: xs
                .iter()
                .map(|&x| {
                    Point::band(
                        x,
                        1.0 + x.cos() * 0.5 + 1.0,
                        1.2 + x.cos() * 0.5,
                        2.8 + x.cos() * 0.5,
                    )
                })
                .collect(),
        };
        let dashed = Series {
            label: "reference 1/x".into(),
            style: Style::Dashed,
            color: None,
            points: xs.iter().map(|&x| Point::xy(x, 1.0 / x)).collect(),
        };
        let markers = Series {
            label: "measured, with a NaN".into(),
            style: Style::Markers,
            color: None,
            points: vec![
                Point::xy(1.0, 1.5),
                Point::xy(2.0, f64::NAN),
                Point::xy(3.0, 0.7),
            ],
        };
        let shaded = Series {
            label: "shaded by x".into(),
            style: Style::Shaded,
            color: None,
            points: xs
                .iter()
                .step_by(4)
                .map(|&x| Point::shaded(x, 0.3 * x, x.log2()))
                .collect(),
        };
        let mut heat = Vec::new();
        for i in 0..20 {
            for j in 0..15 {
                let (x, y) = (f64::from(i) * 0.1, f64::from(j) * 0.2);
                heat.push(Point::shaded(x, y, (x * 3.0).sin() * y.cos()));
            }
        }
        let heatmap = Series {
            label: "cells".into(),
            style: Style::Heatmap,
            color: None,
            points: heat,
        };
        let axis = |label: &str, log: bool| Axis {
            label: label.into(),
            log,
            range: None,
        };
        Figure {
            name: "render-sample".into(),
            title: "Every style".into(),
            columns: 2,
            caption: "A test figure: lines, bands, dashed references, markers, shaded markers \
                      with a colour bar, a heatmap, spans and rules; one NaN point is skipped."
                .into(),
            panels: vec![
                Panel {
                    title: "lines, band, log y".into(),
                    x: axis("x (unit)", false),
                    y: axis("y (log scale)", true),
                    series: vec![band, line, dashed, markers],
                    spans: vec![Span {
                        from: 2.0,
                        to: 3.5,
                        label: "a span".into(),
                    }],
                    rules: vec![Rule {
                        vertical: true,
                        at: 6.0,
                        label: "x = 6".into(),
                    }],
                    shade_label: None,
                },
                Panel {
                    title: "shaded markers".into(),
                    x: axis("x", false),
                    y: axis("0.3x", false),
                    series: vec![shaded],
                    spans: vec![],
                    rules: vec![Rule {
                        vertical: false,
                        at: 1.0,
                        label: "y = 1".into(),
                    }],
                    shade_label: Some("log₂ x".into()),
                },
                Panel {
                    title: "heatmap".into(),
                    x: axis("x", false),
                    y: axis("y", false),
                    series: vec![heatmap],
                    spans: vec![],
                    rules: vec![],
                    shade_label: Some("sin 3x · cos y".into()),
                },
            ],
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("igo-render-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    /// Splits a CSV line into fields (quotes as written by `field`).
    fn split(line: &str) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    out.last_mut().unwrap().push('"');
                }
                ('"', _) => quoted = !quoted,
                (',', false) => out.push(String::new()),
                _ => out.last_mut().unwrap().push(c),
            }
        }
        out
    }

    #[test]
    fn draw_writes_files_and_the_csv_rows_are_the_points() {
        let fig = sample();
        let dir = temp_dir("sample");
        let w = draw(&fig, &dir).unwrap();
        assert!(w.svg.is_file() && w.png.is_file() && w.csv.is_file());
        assert_eq!(w.skipped, 1);
        // The PNG decodes and has the size `size` promises: 2 columns × 2 rows of panels.
        let img = image::open(&w.png).unwrap();
        assert_eq!((img.width(), img.height()), w.size);
        assert_eq!(w.size, size(&fig).unwrap());
        assert_eq!(w.size.0, 2 * PANEL_WIDTH);
        assert!(w.size.1 > TITLE_HEIGHT + 2 * PANEL_HEIGHT);
        let svg = std::fs::read_to_string(&w.svg).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("Every style"));
        // The CSV: header, then the finite points in order, then spans and rules.
        let text = std::fs::read_to_string(&w.csv).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("panel,series,style,x,y,lo,hi,shade"));
        let rows: Vec<Vec<String>> = lines.map(split).collect();
        assert_eq!(rows.len(), w.rows);
        let mut expected = Vec::new();
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        for p in &fig.panels {
            for s in &p.series {
                for q in s.points.iter().filter(|q| q.y.is_finite()) {
                    expected.push(vec![
                        p.title.clone(),
                        s.label.clone(),
                        style_name(s.style).to_string(),
                        q.x.to_string(),
                        q.y.to_string(),
                        opt(q.lo),
                        opt(q.hi),
                        opt(q.shade),
                    ]);
                }
            }
            for sp in &p.spans {
                expected.push(vec![
                    p.title.clone(),
                    sp.label.clone(),
                    "span".into(),
                    String::new(),
                    String::new(),
                    sp.from.to_string(),
                    sp.to.to_string(),
                    String::new(),
                ]);
            }
            for r in &p.rules {
                let (style, x, y) = if r.vertical {
                    ("rule-vertical", r.at.to_string(), String::new())
                } else {
                    ("rule-horizontal", String::new(), r.at.to_string())
                };
                expected.push(vec![
                    p.title.clone(),
                    r.label.clone(),
                    style.into(),
                    x,
                    y,
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
        assert_eq!(rows, expected);
        // Numbers round-trip exactly.
        let first: f64 = rows[0][3].parse().unwrap();
        assert_eq!(
            first.to_bits(),
            fig.panels[0].series[0].points[0].x.to_bits()
        );
        // IGO_KEEP_RENDER=1 keeps the files to look at.
        if std::env::var_os("IGO_KEEP_RENDER").is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        } else {
            eprintln!("kept {}", dir.display());
        }
    }

    #[test]
    fn zero_on_a_log_axis_is_an_error_naming_it() {
        let mut fig = sample();
        fig.panels[0].series[1].points[3].y = 0.0;
        let dir = temp_dir("log-zero");
        let e = draw(&fig, &dir).unwrap_err().to_string();
        assert!(
            e.contains("logarithmic") && e.contains("sin x + 2") && e.contains("y = 0"),
            "{e}"
        );
        assert!(!dir.join("render-sample.png").exists());
        // A band's lo counts too, and so does a log range starting at 0.
        let mut fig = sample();
        fig.panels[0].series[0].points[0].lo = Some(-1.0);
        assert!(draw(&fig, &dir)
            .unwrap_err()
            .to_string()
            .contains("lo = -1"));
        let mut fig = sample();
        fig.panels[0].y.range = Some((0.0, 10.0));
        assert!(draw(&fig, &dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn invalid_figures_are_refused() {
        let dir = temp_dir("invalid");
        let mut fig = sample();
        fig.panels.clear();
        assert!(draw(&fig, &dir)
            .unwrap_err()
            .to_string()
            .contains("no panels"));
        let mut fig = sample();
        fig.columns = 0;
        assert!(draw(&fig, &dir).is_err());
        let mut fig = sample();
        fig.name = "../escape".into();
        assert!(draw(&fig, &dir).is_err());
        let mut fig = sample();
        fig.panels[1].series[0]
            .points
            .iter_mut()
            .for_each(|p| p.y = f64::NAN);
        let e = draw(&fig, &dir).unwrap_err().to_string();
        assert!(e.contains("no drawable point"), "{e}");
        let mut fig = sample();
        fig.panels[0].series[0].points[0].hi = None;
        assert!(draw(&fig, &dir)
            .unwrap_err()
            .to_string()
            .contains("no lo/hi"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
