//! Source-level check of the book (no mdBook needed): every page is in `SUMMARY.md` and
//! every `SUMMARY.md` entry exists; no page is called `README.md` (mdBook renders it as
//! `index.html` but does not rewrite links to it); every relative link `[text](path#anchor)` resolves
//! to a file inside `docs/src` and, for a page, to one of its headings; every
//! `{{#include path:anchor}}` names an existing file with both anchor markers.
//!
//! Heading ids follow mdBook 0.4's rule (`mdbook::utils::unique_id_from_content`):
//! the heading's text without markup, lower-cased ASCII, whitespace → `-`, anything
//! neither alphanumeric nor `_`/`-` dropped, and `-1`, `-2`, … on repeats. The built
//! HTML is checked against the real ids by [`super::html`] in `.ci/run`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Every `.md` file under `dir`, sorted.
pub fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(dir, "md", &mut out);
    out.sort();
    out
}

/// Every file with extension `ext` under `dir` (recursively) into `out`.
pub fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// `path` with `.` and `..` resolved lexically (no file-system access).
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// mdBook's `normalize_id`: alphanumerics, `_` and `-` kept (ASCII lower-cased),
/// whitespace → `-`, everything else dropped.
pub fn normalize_id(text: &str) -> String {
    text.trim()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The text a heading renders to: code spans, emphasis markers and link targets
/// removed (`[text](url)` → `text`), HTML tags dropped.
fn heading_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut chars = markdown.chars().peekable();
    let mut in_tag = false;
    while let Some(c) = chars.next() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '`' | '*' => {}
            ']' if chars.peek() == Some(&'(') => {
                // Skip the link target up to the closing parenthesis.
                for d in chars.by_ref() {
                    if d == ')' {
                        break;
                    }
                }
            }
            '[' | ']' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Lines of `text` with a flag: inside a fenced code block (the fence lines count as
/// inside).
fn lines_with_fences(text: &str) -> Vec<(usize, &str, bool)> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let marker = if t.starts_with("```") {
            Some("```")
        } else if t.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, marker) {
            (None, Some(m)) => {
                fence = Some(m);
                out.push((i + 1, line, true));
            }
            (Some(f), Some(m)) if f == m => {
                fence = None;
                out.push((i + 1, line, true));
            }
            (f, _) => out.push((i + 1, line, f.is_some())),
        }
    }
    out
}

/// The ids mdBook gives the headings of a page (outside code blocks).
pub fn heading_ids(text: &str) -> BTreeSet<String> {
    let mut counter: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for (_, line, in_code) in lines_with_fences(text) {
        if in_code {
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let mut content = line[hashes..]
            .trim()
            .trim_end_matches('#')
            .trim()
            .to_string();
        // An explicit `{#id}` attribute wins.
        if let Some(start) = content.rfind("{#") {
            if content.ends_with('}') {
                ids.insert(content[start + 2..content.len() - 1].to_string());
                continue;
            }
        }
        content = heading_text(&content);
        let id = normalize_id(&content);
        let n = counter.entry(id.clone()).or_insert(0);
        ids.insert(if *n == 0 { id } else { format!("{id}-{n}") });
        *n += 1;
    }
    ids
}

/// The part of `line` outside inline code spans (code spans replaced by spaces).
fn outside_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
            out.push(' ');
        } else if in_code {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Targets of inline links and images `[text](target)` and of reference definitions
/// `[label]: target` on one line (code spans excluded).
pub fn link_targets(line: &str) -> Vec<String> {
    let text = outside_code_spans(line);
    let mut out = Vec::new();
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        if let Some(end) = trimmed.find("]:") {
            let target = trimmed[end + 2..].split_whitespace().next().unwrap_or("");
            if !target.is_empty() {
                out.push(target.trim_matches(['<', '>']).to_string());
            }
        }
    }
    let mut rest = text.as_str();
    while let Some(pos) = rest.find("](") {
        let after = &rest[pos + 2..];
        let end = after.find(')').unwrap_or(after.len());
        let target = after[..end].split_whitespace().next().unwrap_or("");
        out.push(target.trim_matches(['<', '>']).to_string());
        rest = &after[end..];
    }
    out
}

/// `{{#include …}}` / `{{#rustdoc_include …}}` arguments on one line.
pub fn include_targets(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(pos) = rest.find("{{#") {
        let escaped = rest[..pos].ends_with('\\');
        let after = &rest[pos + 3..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let inner = after[..end].trim();
        if escaped {
            // `\{{#include …}}` is mdBook's escape: shown literally, not included.
            rest = &after[end + 2..];
            continue;
        }
        for directive in ["include ", "rustdoc_include "] {
            if let Some(arg) = inner.strip_prefix(directive) {
                out.push(arg.trim().to_string());
            }
        }
        rest = &after[end + 2..];
    }
    out
}

fn is_external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:") || target.starts_with("//")
}

/// Whether `file` holds an `ANCHOR: name` line and a later `ANCHOR_END: name` line with
/// something between them.
fn has_anchor(file: &str, name: &str) -> bool {
    let is_marker = |line: &str, tag: &str| {
        line.split_once(tag)
            .is_some_and(|(_, rest)| rest.trim() == name)
    };
    let lines: Vec<&str> = file.lines().collect();
    let Some(start) = lines.iter().position(|l| is_marker(l, "ANCHOR:")) else {
        return false;
    };
    lines[start + 1..]
        .iter()
        .position(|l| is_marker(l, "ANCHOR_END:"))
        .is_some_and(|len| len > 0)
}

/// Every problem of the book whose sources are in `src` (`src/SUMMARY.md` and the
/// pages); includes may reach anywhere inside `root`. Empty when the book is sound.
pub fn check_sources(src: &Path, root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let pages = markdown_files(src);
    let texts: BTreeMap<PathBuf, String> = pages
        .iter()
        .filter_map(|p| fs::read_to_string(p).ok().map(|t| (normalise(p), t)))
        .collect();
    let ids: BTreeMap<&PathBuf, BTreeSet<String>> =
        texts.iter().map(|(p, t)| (p, heading_ids(t))).collect();
    let rel = |p: &Path| p.strip_prefix(src).unwrap_or(p).display().to_string();

    // SUMMARY.md lists every page, and every entry exists.
    let summary = normalise(&src.join("SUMMARY.md"));
    match texts.get(&summary) {
        None => problems.push("SUMMARY.md: missing".to_string()),
        Some(text) => {
            let listed: BTreeSet<PathBuf> = text
                .lines()
                .flat_map(link_targets)
                .filter(|t| !t.is_empty())
                .map(|t| normalise(&src.join(t)))
                .collect();
            for entry in &listed {
                if !texts.contains_key(entry) {
                    problems.push(format!("SUMMARY.md: entry {} has no page", rel(entry)));
                }
            }
            for page in texts.keys() {
                if page.file_name().is_some_and(|n| n == "README.md") {
                    problems.push(format!(
                        "{}: mdBook renders README.md as index.html but leaves links to it \
                         as README.html: name the page index.md",
                        rel(page)
                    ));
                }
                if *page != summary && !listed.contains(page) {
                    problems.push(format!(
                        "{}: not listed in SUMMARY.md (mdBook would not build it)",
                        rel(page)
                    ));
                }
            }
        }
    }

    for (page, text) in &texts {
        if *page == summary {
            continue; // its entries are checked above
        }
        let dir = page.parent().unwrap_or(src);
        for (line_no, line, in_code) in lines_with_fences(text) {
            let at = format!("{}:{line_no}", rel(page));
            if !in_code {
                for target in link_targets(line) {
                    if target.is_empty() || is_external(&target) {
                        continue;
                    }
                    let (path, fragment) = match target.split_once('#') {
                        Some((p, f)) => (p, Some(f)),
                        None => (target.as_str(), None),
                    };
                    let file = if path.is_empty() {
                        page.clone()
                    } else {
                        normalise(&dir.join(path))
                    };
                    if !file.starts_with(normalise(src)) {
                        problems.push(format!(
                            "{at}: link {target} leaves docs/src (it would not be in the built book)"
                        ));
                        continue;
                    }
                    if !file.is_file() {
                        problems.push(format!("{at}: link {target}: no such file"));
                        continue;
                    }
                    if let (Some(fragment), Some(page_ids)) = (fragment, ids.get(&file)) {
                        if !page_ids.contains(fragment) {
                            problems.push(format!(
                                "{at}: link {target}: {} has no heading #{fragment}",
                                rel(&file)
                            ));
                        }
                    }
                }
            }
            for arg in include_targets(line) {
                let (path, anchor) = match arg.split_once(':') {
                    Some((p, a)) => (p, Some(a)),
                    None => (arg.as_str(), None),
                };
                let file = normalise(&dir.join(path));
                if !file.starts_with(normalise(root)) {
                    problems.push(format!("{at}: include {arg} leaves the repository"));
                    continue;
                }
                let Ok(content) = fs::read_to_string(&file) else {
                    problems.push(format!("{at}: include {arg}: no such file"));
                    continue;
                };
                // Line ranges (`N`, `N:M`, `:M`, `N:`) are digits; anything else is an anchor.
                if let Some(anchor) = anchor {
                    let is_range = anchor.chars().all(|c| c.is_ascii_digit() || c == ':');
                    if !is_range && !has_anchor(&content, anchor) {
                        problems.push(format!(
                            "{at}: include {arg}: no non-empty ANCHOR: {anchor} … ANCHOR_END: {anchor} in {path}"
                        ));
                    }
                }
            }
        }
    }
    problems
}

#[test]
fn book_sources_have_no_broken_links_or_includes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let problems = check_sources(&root.join("docs/src"), root);
    assert!(
        problems.is_empty(),
        "the book's sources have problems:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn heading_ids_follow_mdbook() {
    let ids = heading_ids(
        "# Intro\n## C5.3: local strong convexity on Hazan's ball\n## Intro\n\
         ```sh\n# not a heading\n```\n### `igo check` and [links](x.md)\n## Custom {#my-id}\n\
         ## δ per stage\n#nospace\n",
    );
    let want: BTreeSet<String> = [
        "intro",
        "c53-local-strong-convexity-on-hazans-ball",
        "intro-1",
        "igo-check-and-links",
        "my-id",
        "δ-per-stage",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(ids, want);
}

/// A scratch book with one sound page and one of every kind of breakage: the check must
/// find each, and nothing on the sound page.
#[test]
fn source_check_finds_every_kind_of_broken_link() {
    let dir = std::env::temp_dir().join(format!("igo-book-links-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let src = dir.join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(
        dir.join("code.rs"),
        "// ANCHOR: good\nfn f() {}\n// ANCHOR_END: good\n// ANCHOR: empty\n// ANCHOR_END: empty\n",
    )
    .unwrap();
    fs::write(
        src.join("SUMMARY.md"),
        "# Summary\n- [Good](good.md)\n- [Broken](sub/broken.md)\n- [Ghost](ghost.md)\n- [Section](sub/README.md)\n",
    )
    .unwrap();
    fs::write(
        src.join("good.md"),
        "# Good\n## A section\nSee [below](#a-section), [the other](sub/broken.md#top) and \
         [the web](https://example.org/x.md).\n`[not](a-link.md)`\n\
         ```rust\n{{#include ../code.rs:good}}\n[inside](code.md)\n```\n\
         Escaped: `\\{{#include nothing.rs:none}}`\n",
    )
    .unwrap();
    fs::write(
        src.join("sub/broken.md"),
        "# Top\n[gone](../missing.md) [bad anchor](../good.md#no-such-heading) \
         [self](#nowhere) [escape](../../code.rs)\n\
         {{#include ../../code.rs:missing}}\n{{#include ../../code.rs:empty}}\n\
         {{#include ../../nofile.rs}}\n{{#include ../../code.rs:2:3}}\n",
    )
    .unwrap();
    fs::write(src.join("orphan.md"), "# Orphan\n").unwrap();
    fs::write(src.join("sub/README.md"), "# Section\n").unwrap();

    let problems = check_sources(&src, &dir);
    let expect = [
        "SUMMARY.md: entry ghost.md has no page",
        "orphan.md: not listed in SUMMARY.md",
        "sub/README.md: mdBook renders README.md as index.html",
        "sub/broken.md:2: link ../missing.md: no such file",
        "sub/broken.md:2: link ../good.md#no-such-heading: good.md has no heading #no-such-heading",
        "sub/broken.md:2: link #nowhere: sub/broken.md has no heading #nowhere",
        "sub/broken.md:2: link ../../code.rs leaves docs/src",
        "sub/broken.md:3: include ../../code.rs:missing: no non-empty ANCHOR: missing",
        "sub/broken.md:4: include ../../code.rs:empty: no non-empty ANCHOR: empty",
        "sub/broken.md:5: include ../../nofile.rs: no such file",
    ];
    for e in expect {
        assert!(
            problems.iter().any(|p| p.starts_with(e)),
            "not reported: {e}\nreported:\n  {}",
            problems.join("\n  ")
        );
    }
    assert_eq!(
        problems.len(),
        expect.len(),
        "unexpected problems:\n  {}",
        problems.join("\n  ")
    );
    let _ = fs::remove_dir_all(&dir);
}
