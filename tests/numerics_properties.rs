//! Property tests of the numerical building blocks (numerics/).
