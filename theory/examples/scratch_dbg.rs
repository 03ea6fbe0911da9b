//! scratch
use numerics::objective::{FiniteSum, LeastSquares};
use numerics::spectrum::MeanSquareStability;
use numerics::{Seed, Vector};
fn crit(map: &MeanSquareStability, wu: bool) -> f64 {
    let (mut lo, mut hi) = (1e-6, 10.0);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        let m = map.clone().with_learning_rate(mid).unwrap();
        let r = if wu {
            m.wu_criterion().unwrap()
        } else {
            m.spectral_radius().unwrap()
        };
        if r > 1.0 {
            hi = mid
        } else {
            lo = mid
        }
    }
    lo
}
fn main() {
    for (n, d) in [(8usize, 12usize), (6, 10), (5, 9)] {
        let mut rng = Seed(0).stream("ls");
        let ls = LeastSquares::gaussian(n, d, &mut rng).unwrap();
        let x = Vector::zeros(d);
        let hs: Vec<_> = (0..n).map(|i| ls.sample_hessian(i, &x).unwrap()).collect();
        for b in 1..n {
            let m = MeanSquareStability::new(hs.clone(), b, 1.0)
                .unwrap()
                .restricted_to_range(1e-10)
                .unwrap();
            let lmax = numerics::spectrum::lambda_max(m.mean_hessian()).unwrap();
            let er = crit(&m, false);
            let ew = crit(&m, true);
            println!(
                "n {n} d {d} B {b}: eta_rho {er:.4} eta_wu {ew:.4} ratio {:.4} gd {:.4}",
                er / ew,
                2.0 / lmax
            );
        }
    }
}
