//! Property tests (proptest) of the numerical building blocks: analytic gradients vs
//! central differences, Lanczos vs dense eigenvalues, schedule identities.

mod objectives;
mod schedules;
mod spectra;
