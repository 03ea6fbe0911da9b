//! Property tests: spectra.
