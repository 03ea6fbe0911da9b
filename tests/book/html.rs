//! HTML-level check of the built book (`docs/book/`, written by `mdbook build docs`):
//! every relative `href`/`src` of every page resolves to a file of the book, and every
//! `#fragment` to an `id` in the target page. This sees what readers see, including the
//! ids mdBook really generated and the links its print page rewrote.
//!
//! The built book is not in the repository, so `cargo test` alone does not build it:
//! `book_html_has_no_broken_links` is ignored by default and `.ci/run` runs it right
//! after `mdbook build docs`. The checker itself is tested on a scratch tree every time.

use super::links::collect;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The values of every `name="…"` attribute in `html` (HTML entities for `&` decoded).
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(pos) = rest.find(&needle) {
        let after = &rest[pos + needle.len()..];
        let end = after.find('"').unwrap_or(after.len());
        out.push(after[..end].replace("&amp;", "&"));
        rest = &after[end..];
    }
    out
}

/// `%XX` escapes decoded (as UTF-8); anything malformed is kept as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
            if let Some(Ok(b)) = hex.map(|h| u8::from_str_radix(h, 16)) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_external(target: &str) -> bool {
    target.contains("://")
        || target.starts_with("//")
        || target.starts_with("mailto:")
        || target.starts_with("javascript:")
        || target.starts_with("data:")
}

/// Every broken relative link of the built book in `book`. Empty when sound.
pub fn check_html(book: &Path) -> Vec<String> {
    let mut files = Vec::new();
    collect(book, "html", &mut files);
    files.sort();
    let pages: BTreeMap<PathBuf, String> = files
        .iter()
        .filter_map(|f| fs::read_to_string(f).ok().map(|t| (f.clone(), t)))
        .collect();
    let ids: BTreeMap<&PathBuf, BTreeSet<String>> = pages
        .iter()
        .map(|(f, t)| (f, attribute_values(t, "id").into_iter().collect()))
        .collect();
    let rel = |p: &Path| p.strip_prefix(book).unwrap_or(p).display().to_string();
    let mut problems = Vec::new();
    for (file, html) in &pages {
        // 404.html is served from the site root with `<base href="/">`; its relative
        // links are resolved against the root, not its own folder.
        let dir = if html.contains("<base href=\"/\"") {
            book.to_path_buf()
        } else {
            file.parent().unwrap_or(book).to_path_buf()
        };
        let mut targets = attribute_values(html, "href");
        targets.extend(attribute_values(html, "src"));
        for target in targets {
            if target.is_empty() || is_external(&target) {
                continue;
            }
            let target_no_query = match target.split_once('?') {
                Some((t, _)) => t,
                None => target.as_str(),
            };
            let (path, fragment) = match target_no_query.split_once('#') {
                Some((p, f)) => (percent_decode(p), Some(percent_decode(f))),
                None => (percent_decode(target_no_query), None),
            };
            let mut resolved = if path.is_empty() {
                file.clone()
            } else if let Some(from_root) = path.strip_prefix('/') {
                super::links::normalise(&book.join(from_root))
            } else {
                super::links::normalise(&dir.join(&path))
            };
            if resolved.is_dir() {
                resolved = resolved.join("index.html");
            }
            if !resolved.starts_with(book) || !resolved.is_file() {
                problems.push(format!("{}: link {target}: no such file", rel(file)));
                continue;
            }
            if let (Some(fragment), Some(target_ids)) = (fragment, ids.get(&resolved)) {
                if !fragment.is_empty() && !target_ids.contains(&fragment) {
                    problems.push(format!(
                        "{}: link {target}: {} has no id {fragment}",
                        rel(file),
                        rel(&resolved)
                    ));
                }
            }
        }
    }
    problems
}

#[test]
#[ignore = "needs the built book: .ci/run runs it after `mdbook build docs`"]
fn book_html_has_no_broken_links() {
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/book");
    assert!(
        book.join("index.html").is_file(),
        "no built book in {}: run scripts/install-mdbook.sh && .tools/bin/mdbook build docs",
        book.display()
    );
    let problems = check_html(&book);
    assert!(
        problems.is_empty(),
        "broken links in the built book:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn percent_decoding_handles_utf8_and_malformed_escapes() {
    assert_eq!(
        percent_decode("c35-does-only-%CE%B4-matter"),
        "c35-does-only-δ-matter"
    );
    assert_eq!(percent_decode("a%2"), "a%2");
    assert_eq!(percent_decode("100%zz"), "100%zz");
}

/// A scratch "built book" with a sound page and one of every kind of breakage.
#[test]
fn html_check_finds_missing_files_and_fragments() {
    let dir = std::env::temp_dir().join(format!("igo-book-html-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("sub")).unwrap();
    fs::write(dir.join("style.css"), "").unwrap();
    fs::write(
        dir.join("index.html"),
        "<link href=\"style.css?v=1\"><h1 id=\"top\">x</h1>\
         <a href=\"sub/page.html#c35-does-only-%CE%B4-matter\">ok</a>\
         <a href=\"#top\">ok</a><a href=\"https://example.org/\">ext</a>\
         <a href=\"sub/\">dir index</a>",
    )
    .unwrap();
    fs::write(
        dir.join("sub/index.html"),
        "<a href=\"../index.html#top\">ok</a>",
    )
    .unwrap();
    fs::write(
        dir.join("sub/page.html"),
        "<h2 id=\"c35-does-only-δ-matter\">δ</h2>\
         <a href=\"../missing.html\">gone</a><a href=\"../index.html#nowhere\">bad</a>\
         <img src=\"../img.png\"><a href=\"#c35-does-only-δ-matter\">ok</a>",
    )
    .unwrap();
    fs::write(
        dir.join("404.html"),
        "<base href=\"/\"><a href=\"index.html\">root-relative ok</a>",
    )
    .unwrap();

    let mut problems = check_html(&dir);
    problems.sort();
    assert_eq!(
        problems,
        [
            "sub/page.html: link ../img.png: no such file",
            "sub/page.html: link ../index.html#nowhere: index.html has no id nowhere",
            "sub/page.html: link ../missing.html: no such file",
        ]
    );
    let _ = fs::remove_dir_all(&dir);
}
