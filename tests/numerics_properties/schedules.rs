//! Property tests: schedules.
