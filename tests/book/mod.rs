//! The docs book (`docs/`, an mdBook) cannot go stale: its links, anchors and includes
//! resolve (`links`; the built HTML in `html`, run by `.ci/run`), its command-line
//! reference is the binary's own `--help` (`cli_reference`), every check of the registry
//! has its section, every figure it names is a registered figure, and the code it shows
//! compiles and passes (`examples`).

mod cli_reference;
mod examples;
mod html;
mod links;

use std::fs;
use std::path::{Path, PathBuf};

fn docs_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/src")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The statement page of a spec id: its section number picks the group, as in the spec
/// (§1 Definition 2.1, §2 Lemma 2.1, …, §9 lecture 003) and in `theory/src/<group>/`.
fn statement_page(spec_id: &str) -> Option<&'static str> {
    let section = spec_id.strip_prefix('C')?.split('.').next()?;
    Some(match section {
        "1" => "definition_2_1",
        "2" => "lemma_2_1",
        "3" => "sgd_as_smoothing",
        "4" => "sigma_nice",
        "5" => "rastrigin",
        "6" => "momentum",
        "7" => "explicit_go",
        "8" => "stability",
        "9" => "lecture_003",
        _ => return None,
    })
}

#[test]
fn book_has_a_section_for_every_check() {
    let overview = read(&docs_src().join("statements/index.md"));
    let mut missing = Vec::new();
    for check in theory::registry::all() {
        let (spec, id) = (check.spec_id(), check.id());
        let Some(page) = statement_page(spec) else {
            missing.push(format!("{spec}: no statement page for its section"));
            continue;
        };
        let text = read(&docs_src().join(format!("statements/{page}.md")));
        if !text.lines().any(|l| l.starts_with(&format!("### {spec}:"))) {
            missing.push(format!(
                "{spec}: no `### {spec}: …` heading in statements/{page}.md"
            ));
        }
        if !text.contains(&format!("`{id}`")) {
            missing.push(format!(
                "{spec}: check id `{id}` not named in statements/{page}.md"
            ));
        }
        if !overview.contains(&format!("[{spec}]({page}.md) | `{id}` |")) {
            missing.push(format!("{spec}: no row in statements/index.md"));
        }
    }
    assert!(
        missing.is_empty(),
        "the book misses checks:\n  {}",
        missing.join("\n  ")
    );
}

/// Every "`igo figure NAME` → `results/figures/FILE.png`" in the book, as (NAME, FILE);
/// FILE is empty when the arrow and file do not follow. NAME is lower-case (`NAME`
/// itself, the placeholder, is skipped).
fn figure_mentions(text: &str) -> Vec<(String, String)> {
    let text = text.replace('\n', " ");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(pos) = rest.find("`igo figure ") {
        let after = &rest[pos + "`igo figure ".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        let file = after[name.len()..]
            .strip_prefix("` → `results/figures/")
            .and_then(|t| t.split_once(".png`"))
            .map(|(f, _)| f.to_string())
            .unwrap_or_default();
        if !name.is_empty() {
            out.push((name, file));
        }
        rest = after;
    }
    out
}

#[test]
fn figure_mentions_pair_each_command_with_its_file() {
    let text = "a `igo figure noise_ball` → `results/figures/noise_ball.png` b \
                `igo figure r_identity` →\n`results/figures/wu.png` and `igo figure x` `igo figure NAME`";
    assert_eq!(
        figure_mentions(text),
        [
            ("noise_ball".to_string(), "noise_ball".to_string()),
            ("r_identity".to_string(), "wu".to_string()),
            ("x".to_string(), String::new()),
        ]
    );
}

#[test]
fn book_names_figures_consistently_and_only_registered_ones() {
    let registry: Vec<&str> = igo::figures::registry().iter().map(|e| e.name).collect();
    let mut named = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for page in links::markdown_files(&docs_src()) {
        for (name, png) in figure_mentions(&read(&page)) {
            let at = page
                .strip_prefix(docs_src())
                .unwrap_or(&page)
                .display()
                .to_string();
            if png != name {
                problems.push(format!(
                    "{at}: `igo figure {name}` must be followed by → `results/figures/{name}.png`"
                ));
            }
            // Until the figure modules register their entries the registry is empty; from
            // then on the book may name only registered figures, and must name them all.
            if !registry.is_empty() && !registry.contains(&name.as_str()) {
                problems.push(format!(
                    "{at}: `igo figure {name}` is not a registered figure"
                ));
            }
            named.insert(name);
        }
    }
    for name in &registry {
        if !named.contains(*name) {
            problems.push(format!(
                "figure {name} is registered but the book never shows it"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
