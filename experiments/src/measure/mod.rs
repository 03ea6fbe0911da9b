//! Measurements of a model at a point of training: gradient noise C² (spec §10.2), and
//! (from the measurement modules) sharpness and Hessian spectra.

pub mod gradient_noise;
