//! Training runs: a validated [`RunConfig`] (TOML), the per-epoch [`EpochPlan`] from
//! `numerics` schedules, the resumable loop ([`train`], [`resume`]), the records it
//! writes ([`record`]) and its atomic checkpoints ([`checkpoint`]).
//!
//! A run directory holds `manifest.json`, `epochs.jsonl`, `summary.json`,
//! `checkpoint.json` with `checkpoints/*.safetensors`, and, once finished,
//! `model.safetensors`.

pub mod checkpoint;
pub mod config;
pub mod plan;
pub mod record;
pub mod run;
pub mod schedule;

pub use config::{Preset, Reference, RunConfig, ScheduleConfig, ScheduleSpec};
pub use plan::EpochPlan;
pub use record::{Delta, EpochRecord, Manifest, Status, Summary};
pub use run::{
    load_split, resume, train, Hooks, MeasureContext, Measurements, Observer, Silent, StepProgress,
};
