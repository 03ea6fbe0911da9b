//! The proof-checking suite: one integration-test binary that runs every check of
//! `theory` and asserts the predicted verdict of every case, plus property tests of
//! the numerical building blocks. One file per group of statements, named as in
//! `theory/src/`.

mod util;

mod bench_cli;
mod book;
mod definition_2_1;
mod experiment_cli;
mod explicit_go;
mod figure_cli;
mod figures_training;
mod lecture_003;
mod lemma_2_1;
mod measure_cli;
mod momentum;
mod numerics_properties;
mod rastrigin;
mod registry;
mod reproduce_cli;
mod sgd_as_smoothing;
mod sigma_nice;
mod stability;
mod sweep_cli;
mod train_cli;
