//! Benchmarks (filled in with the Monte-Carlo and Lanczos benchmarks).

fn main() {}
