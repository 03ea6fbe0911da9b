//! scratch
use nalgebra::DMatrix;
use numerics::spectrum::{lambda_max, MeanSquareStability};
use numerics::Seed;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
fn main() {
    let mut rng = Seed(0).stream("scratch");
    let mut found = 0;
    for trial in 0..20000 {
        let d = rng.random_range(2..=4);
        let n = rng.random_range(4..=20);
        let b = rng.random_range(1..n);
        let c: f64 = rng.random_range(0.05..1.0);
        let dvals: Vec<f64> = (0..d).map(|_| rng.random_range(0.1..1.0)).collect();
        let hs: Vec<DMatrix<f64>> = (0..n)
            .map(|_| {
                let g = DMatrix::<f64>::from_fn(d, 1, |_, _| StandardNormal.sample(&mut rng));
                DMatrix::from_diagonal(&nalgebra::DVector::from_vec(dvals.clone()))
                    + &g * g.transpose() * c
            })
            .collect();
        let t = MeanSquareStability::new(hs, b, 1.0).unwrap();
        let lm = lambda_max(t.mean_hessian()).unwrap();
        let eta = rng.random_range(1.5..2.05) / lm;
        let t = t.with_learning_rate(eta).unwrap();
        let wu = t.wu_criterion().unwrap();
        let rho = t.spectral_radius().unwrap();
        let noise = eta * eta * t.batch_factor() * lambda_max(&t.hessian_covariance()).unwrap();
        if wu > 1.0 && rho < 0.99 && noise < 0.15 {
            found += 1;
            if found < 15 {
                println!("trial {trial} d {d} n {n} b {b} wu {wu:.4} rho {rho:.4} noise {noise:.4} ηλ {:.3}", eta*lm);
            }
        }
    }
    println!("found {found}");
}
