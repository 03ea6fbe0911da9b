#!/usr/bin/env bash
# Installs the pinned mdBook that builds docs/ into .tools/bin/mdbook (git-ignored),
# with `cargo install --locked` from crates.io. Does nothing when that version is
# already there, so CI pays for it once.
#
# Pinned: mdbook 0.4.52, the newest release that builds with the project's minimum Rust
# (1.85; mdbook 0.5 needs 1.88). Only the `search` feature: the book is built, never
# served, so the web server and file watcher (tokio, axum, notify) are left out.
#
# Usage: scripts/install-mdbook.sh   (prints the path of the mdbook binary)
# Environment: IGO_TOOLS overrides the install root (default: .tools in the repository).
set -euo pipefail

version=0.4.52
root="${IGO_TOOLS:-$(cd "$(dirname "$0")/.." && pwd)/.tools}"
bin="$root/bin/mdbook"

if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null)" == "mdbook v$version" ]]; then
    echo "$bin"
    exit 0
fi

echo "installing mdbook $version into $root (once; about 4½ minutes on 2 shared cores)" >&2
cargo install mdbook --locked --version "$version" --no-default-features --features search \
    --root "$root" --force >&2
"$bin" --version >&2
echo "$bin"
