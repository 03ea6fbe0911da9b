//! Property tests: objectives.
