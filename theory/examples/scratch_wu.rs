//! scratch
use nalgebra::DMatrix;
use numerics::spectrum::MeanSquareStability;
use numerics::Seed;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

fn main() {
    let mut rng = Seed(0).stream("scratch");
    for (label, d, nlo, nhi, rank_mode) in [
        ("d10 n7 B1", 10usize, 7usize, 7usize, 0u8),
        ("d3 n6", 3, 6, 6, 0),
        ("rand", 0, 3, 20, 1),
        ("rank1 d3 n6", 3, 6, 6, 2),
    ] {
        let mut cnt = 0;
        let mut wu_gt_rho_lt = 0;
        let mut stable = 0;
        let mut sviol = 0;
        let mut maxratio: f64 = 0.0;
        let mut best = (0.0, 0.0);
        let t0 = std::time::Instant::now();
        for _ in 0..3000 {
            let d = if d == 0 { rng.random_range(1..=8) } else { d };
            let n = rng.random_range(nlo..=nhi);
            let b = if label.contains("B1") || label.contains("n6") {
                1
            } else {
                rng.random_range(1..n)
            };
            let hs: Vec<DMatrix<f64>> = (0..n)
                .map(|_| {
                    let r = match rank_mode {
                        2 => 1,
                        _ => rng.random_range(1..=d),
                    };
                    let g = DMatrix::<f64>::from_fn(d, r, |_, _| StandardNormal.sample(&mut rng));
                    &g * g.transpose()
                })
                .collect();
            let t = MeanSquareStability::new(hs, b, 1.0).unwrap();
            let lmax = numerics::spectrum::lambda_max(t.mean_hessian()).unwrap();
            let target: f64 = if label.starts_with("d10") {
                0.65
            } else {
                rng.random_range(0.05..1.9)
            };
            let eta = target / lmax;
            let t = t.with_learning_rate(eta).unwrap();
            let wu = t.wu_criterion().unwrap();
            let rho = t.spectral_radius().unwrap();
            cnt += 1;
            maxratio = maxratio.max(rho / wu);
            if wu > 1.0 && rho < 1.0 {
                wu_gt_rho_lt += 1;
                if wu - rho > best.0 - best.1 {
                    best = (wu, rho);
                }
            }
            if rho < 1.0 {
                stable += 1;
                let s = numerics::spectrum::lambda_max(&t.hessian_covariance())
                    .unwrap()
                    .max(0.0)
                    .sqrt();
                if eta * s * t.batch_factor().sqrt() > 1.0 {
                    sviol += 1;
                }
            }
        }
        println!("{label}: {cnt} cases, max rho/wu {maxratio:.12}, wu>1&rho<1 {wu_gt_rho_lt} best {best:?}, stable {stable}, s-viol {sviol}, {:?}", t0.elapsed());
    }
}
