//! The book's command-line reference is the binary's own help: for every command and
//! subcommand (found by walking `igo --help`), `docs/src/cli/help/igo-…txt` must equal
//! `igo … --help` byte for byte and be included by a page of the book. So a new flag, a
//! changed default or a new subcommand fails this test until the book shows it.
//!
//! After changing the CLI, regenerate the files with
//! `IGO_BLESS=1 cargo test -p igo --test proofs book::cli_reference`, then review the
//! diff (and, for a new subcommand, add `{{#include help/igo-NAME.txt}}` to a page under
//! `docs/src/cli/` and list the page in `docs/src/SUMMARY.md`).

use crate::util::igo;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// `igo <path> --help`, as the binary prints it.
fn help(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let out = igo(&args);
    assert!(
        out.status.success(),
        "igo {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The subcommand names listed under `Commands:` in a help text (without `help`).
fn subcommands(help_text: &str) -> Vec<String> {
    help_text
        .lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// Every command path (`[]`, `["check"]`, `["experiment", "methods"]`, …) with its help.
fn all_help() -> BTreeMap<Vec<String>, String> {
    let mut out = BTreeMap::new();
    let mut queue = vec![Vec::<String>::new()];
    while let Some(path) = queue.pop() {
        let text = help(&path);
        for sub in subcommands(&text) {
            let mut child = path.clone();
            child.push(sub);
            queue.push(child);
        }
        out.insert(path, text);
    }
    out
}

/// `igo.txt`, `igo-check.txt`, `igo-experiment-methods.txt`, ….
fn file_name(path: &[String]) -> String {
    let mut name = String::from("igo");
    for part in path {
        name.push('-');
        name.push_str(part);
    }
    name + ".txt"
}

#[test]
fn subcommands_are_read_from_the_commands_section() {
    let text = "About\n\nUsage: igo <COMMAND>\n\nCommands:\n  check  Run\n  bench-x  B\n  help   Print\n\nOptions:\n  -h, --help  Print help\n";
    assert_eq!(subcommands(text), ["check", "bench-x"]);
    assert!(subcommands("Usage: igo check [OPTIONS]\n\nOptions:\n  --id <ID>\n").is_empty());
}

#[test]
fn book_cli_reference_is_the_binarys_help() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let help_dir = root.join("docs/src/cli/help");
    let bless = std::env::var_os("IGO_BLESS").is_some_and(|v| v == "1");
    let expected: BTreeMap<String, String> = all_help()
        .iter()
        .map(|(path, text)| (file_name(path), text.clone()))
        .collect();
    assert!(
        expected.len() >= 8,
        "walking `igo --help` found only {:?}",
        expected.keys()
    );

    let mut on_disk: Vec<PathBuf> = Vec::new();
    super::links::collect(&help_dir, "txt", &mut on_disk);
    let mut problems = Vec::new();
    for file in &on_disk {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        if !name.as_ref().is_some_and(|n| expected.contains_key(n)) {
            if bless {
                fs::remove_file(file).unwrap();
            } else {
                problems.push(format!(
                    "{}: no such command any more (remove it)",
                    file.display()
                ));
            }
        }
    }
    for (name, text) in &expected {
        let file = help_dir.join(name);
        if fs::read_to_string(&file).ok().as_ref() == Some(text) {
            continue;
        }
        if bless {
            fs::create_dir_all(&help_dir).unwrap();
            fs::write(&file, text).unwrap();
        } else {
            problems.push(format!(
                "{}: differs from the binary's --help (or is missing)",
                file.display()
            ));
        }
    }

    // Every help file is shown by some page.
    let pages: Vec<String> = super::links::markdown_files(&root.join("docs/src"))
        .iter()
        .filter_map(|p| fs::read_to_string(p).ok())
        .collect();
    for name in expected.keys() {
        let include = format!("help/{name}}}}}");
        if !pages
            .iter()
            .any(|p| p.contains("{{#include") && p.contains(&include))
        {
            problems.push(format!(
                "no page includes cli/help/{name}: add {{{{#include help/{name}}}}} to a page in docs/src/cli/"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the CLI reference is stale; regenerate with \
         `IGO_BLESS=1 cargo test -p igo --test proofs book::cli_reference` and review:\n  {}",
        problems.join("\n  ")
    );
}
