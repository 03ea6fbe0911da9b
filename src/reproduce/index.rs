//! `index.html`: each claim of the seeds with its verdict, its figure and the command
//! that made it: the theory checks (spec C1.1–C9.10), the papers' predictions (spec
//! §10.5 P1–P8) from the experiments' verdicts, and every figure with its caption.

use super::{FigureOutcome, Summary};
use std::fmt::Write as _;
use theory::Report;

/// `s` with `&`, `<`, `>`, `"` and `'` escaped for HTML text and attributes.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// True when a figure's claim id covers the claim `id`: equal, or a prefix of it at a
/// `.` boundary (`C5` and `C5.x` cover `C5.3`).
#[must_use]
pub fn claim_covers(claim: &str, id: &str) -> bool {
    let stem = claim.trim_end_matches(".x");
    id == claim || id == stem || id.starts_with(&format!("{stem}."))
}

/// The predictions of spec §10.5 that no igo experiment decides, with the reason.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "P3",
        "sharpness alone does not predict accuracy well: reported by the papers, not a falsification target (spec §10.5); the sharpness and accuracy scatter shows it",
    ),
    (
        "P6",
        "Algorithm 6 beats constant SHB: no igo experiment compares them yet",
    ),
];

fn verdict_class(v: &str) -> &'static str {
    match v {
        "PASS" | "HOLDS" => "ok",
        "FAIL" | "FALSIFIED" | "DOES NOT HOLD" => "bad",
        _ => "undecided",
    }
}

fn figure_links(figures: &[FigureOutcome], id: &str, group: Option<&str>) -> String {
    let mut s = String::new();
    for f in figures.iter().filter(|f| {
        f.claims.iter().any(|c| claim_covers(c, id))
            && group.is_none_or(|g| f.group == g || f.group == "theory")
    }) {
        match &f.png {
            Some(png) => {
                let _ = write!(
                    s,
                    "<a href=\"{0}\"><img class=\"thumb\" src=\"{0}\" alt=\"{1}\" title=\"{1}\"></a> ",
                    escape(png),
                    escape(&f.name)
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<span class=\"undecided\">{} (not drawn)</span> ",
                    escape(&f.name)
                );
            }
        }
    }
    s
}

/// The index page of a reproduction.
#[must_use]
pub fn page(summary: &Summary, checks: &[Report]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>igo reproduce: claims, verdicts, figures</title>
<style>
body {{ font-family: sans-serif; margin: 2em; max-width: 1400px; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 2em; }}
td, th {{ border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; font-size: 14px; }}
th {{ background: #f0f0f0; text-align: left; }}
code {{ font-size: 12px; background: #f6f6f6; word-break: break-all; }}
.ok {{ color: #146c2e; font-weight: bold; }}
.bad {{ color: #b00020; font-weight: bold; }}
.undecided {{ color: #8a6d00; font-weight: bold; }}
img.thumb {{ height: 90px; border: 1px solid #ddd; }}
figure {{ display: inline-block; width: 46%; margin: 1%; vertical-align: top; }}
figure img {{ width: 100%; border: 1px solid #ddd; }}
figcaption {{ font-size: 13px; }}
</style></head><body>
<h1>igo reproduce</h1>
<p>Command: <code>{}</code><br>igo {} · seed {} · {:.0} s in all · {}</p>
"#,
        escape(&summary.command),
        escape(&summary.igo_version),
        summary.seed,
        summary.seconds,
        if summary.complete {
            "complete"
        } else {
            "INCOMPLETE: run the same command again to continue"
        }
    );

    // Theory claims.
    let _ = write!(
        h,
        "<h2 id=\"checks\">Theory claims: {} checks, {} behaved as predicted</h2>\n\
         <p>A check is PASS when every case behaved as predicted: the statement holds where its \
         hypotheses hold and is reported violated where they do not (refuting cases). \
         Reports with every measured value: <a href=\"{}\">{}</a>.</p>\n\
         <table><tr><th>spec</th><th>statement</th><th>verdict</th><th>cases</th><th>findings</th><th>figure</th><th>command</th></tr>\n",
        summary.checks.0,
        summary.checks.1,
        super::CHECKS,
        super::CHECKS
    );
    for r in checks {
        let verdict = r.summary().as_str();
        let findings = if r.findings.is_empty() {
            String::new()
        } else {
            format!(
                "<details><summary>{} finding(s)</summary><ul>{}</ul></details>",
                r.findings.len(),
                r.findings
                    .iter()
                    .map(|f| format!("<li>{}</li>", escape(f)))
                    .collect::<String>()
            )
        };
        let _ = writeln!(
            h,
            "<tr id=\"{0}\"><td>{0}</td><td>{1}</td><td class=\"{2}\">{3}</td><td>{4}/{5}</td><td>{6}</td><td>{7}</td><td><code>igo check --id {0} --seed {8} -v</code></td></tr>",
            escape(&r.spec_id),
            escape(&r.statement),
            verdict_class(verdict),
            verdict,
            r.cases_as_expected(),
            r.cases.len(),
            findings,
            figure_links(&summary.figures, &r.spec_id, None),
            r.seed.0
        );
    }
    h.push_str("</table>\n");

    // Predictions.
    h.push_str(
        "<h2 id=\"predictions\">The papers' predictions (spec §10.5)</h2>\n\
         <table><tr><th>id</th><th>group</th><th>prediction</th><th>verdict</th><th>evidence</th><th>figure</th><th>command</th></tr>\n",
    );
    for e in &summary.experiments {
        for v in &e.verdicts {
            let outcome = v.outcome.to_string();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td><code>{}</code><br>records: <a href=\"{}/\">{}</a></td></tr>",
                escape(&v.id),
                escape(&e.group),
                escape(&v.statement),
                verdict_class(&outcome),
                escape(&outcome),
                escape(&v.evidence),
                figure_links(&summary.figures, &v.id, Some(&e.group)),
                escape(&e.command),
                escape(&e.dir),
                escape(&e.dir)
            );
        }
    }
    for (id, why) in NOT_RUN {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td></td><td colspan=\"4\">not decided by igo: {}</td><td>{}</td><td></td></tr>",
            id,
            escape(why),
            figure_links(&summary.figures, id, None)
        );
    }
    h.push_str("</table>\n");

    // Figures.
    let drawn = summary.figures.iter().filter(|f| f.png.is_some()).count();
    let _ = writeln!(
        h,
        "<h2 id=\"figures\">Figures: {drawn} of {} drawn</h2>",
        summary.figures.len()
    );
    for f in &summary.figures {
        let claims = f.claims.join(", ");
        match &f.png {
            Some(png) => {
                let stem = png.trim_end_matches(".png");
                let _ = writeln!(
                    h,
                    "<figure id=\"fig-{0}-{1}\"><a href=\"{2}.svg\"><img src=\"{3}\" alt=\"{0}\"></a><figcaption><b>{0}</b> ({1}; claims {4}): {5}<br>{6}<br>data: <a href=\"{2}.csv\">{7}.csv</a> · <code>{8}</code></figcaption></figure>",
                    escape(&f.name),
                    escape(&f.group),
                    escape(stem),
                    escape(png),
                    escape(&claims),
                    escape(&f.about),
                    escape(f.caption.as_deref().unwrap_or("")),
                    escape(&f.name),
                    escape(&f.command)
                );
            }
            None => {
                let _ = writeln!(
                    h,
                    "<p><b>{}</b> ({}): not drawn: {}<br><code>{}</code></p>",
                    escape(&f.name),
                    escape(&f.group),
                    escape(f.skipped.as_deref().unwrap_or("")),
                    escape(&f.command)
                );
            }
        }
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::{claim_covers, escape};

    #[test]
    fn escape_covers_the_five_html_specials() {
        assert_eq!(
            escape(r#"<a href="x">R&D's</a>"#),
            "&lt;a href=&quot;x&quot;&gt;R&amp;D&#39;s&lt;/a&gt;"
        );
        assert_eq!(escape("δ = ηC/√b"), "δ = ηC/√b");
    }

    #[test]
    fn a_claim_covers_itself_and_its_sub_ids_only() {
        assert!(claim_covers("C5.3", "C5.3"));
        assert!(claim_covers("C5", "C5.3"));
        assert!(claim_covers("C5.x", "C5.4"));
        assert!(!claim_covers("C5", "C51.1"));
        assert!(!claim_covers("C5.3", "C5.31"));
        assert!(!claim_covers("P1", "P10"));
        assert!(claim_covers("P1", "P1"));
    }
}
