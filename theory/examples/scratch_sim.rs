//! scratch
use nalgebra::{DMatrix, DVector};
use numerics::spectrum::MeanSquareStability;
use numerics::Seed;
use rand::seq::index;
use rand_distr::{Distribution, StandardNormal};

fn eta_for(t: &MeanSquareStability, target: f64, lmax: f64) -> Option<f64> {
    // rho(eta) on upper branch: scan then bisect
    let mut prev = (
        1e-3 / lmax,
        t.clone()
            .with_learning_rate(1e-3 / lmax)
            .ok()?
            .spectral_radius()
            .ok()?,
    );
    for k in 1..400 {
        let eta = k as f64 * 3.0 / 400.0 / lmax;
        let r = t
            .clone()
            .with_learning_rate(eta)
            .ok()?
            .spectral_radius()
            .ok()?;
        if prev.1 < target && r >= target {
            let (mut lo, mut hi) = (prev.0, eta);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                let rm = t
                    .clone()
                    .with_learning_rate(mid)
                    .unwrap()
                    .spectral_radius()
                    .unwrap();
                if rm > target {
                    hi = mid
                } else {
                    lo = mid
                }
            }
            return Some(0.5 * (lo + hi));
        }
        prev = (eta, r);
    }
    None
}

fn sim(
    hs: &[DMatrix<f64>],
    b: usize,
    t: &MeanSquareStability,
    eta: f64,
    steps: usize,
    chains: usize,
    seed: u64,
) {
    let d = hs[0].nrows();
    let n = hs.len();
    let mut rng = Seed(seed).stream("sim");
    let groups = 20;
    let mut sums = vec![vec![0.0f64; steps + 1]; groups];
    let mut maxshare = 0.0f64;
    let mut last = vec![];
    for c in 0..chains {
        let gidx = c % groups;
        let mut e =
            DVector::<f64>::from_fn(d, |_, _| StandardNormal.sample(&mut rng)) / (d as f64).sqrt();
        sums[gidx][0] += e.norm_squared();
        for s in 1..=steps {
            let batch = index::sample(&mut rng, n, b);
            let mut he = DVector::zeros(d);
            for i in batch.iter() {
                he += &hs[i] * &e;
            }
            e -= he * (eta / b as f64);
            sums[gidx][s] += e.norm_squared();
        }
        last.push(e.norm_squared());
    }
    let tot: f64 = last.iter().sum();
    for x in &last {
        maxshare = maxshare.max(x / tot);
    }
    let ess = tot * tot / last.iter().map(|x| x * x).sum::<f64>();
    let mut p = DMatrix::<f64>::identity(d, d) / d as f64;
    let mut exact = vec![p.trace()];
    for _ in 0..steps {
        p = t.apply(&p).unwrap();
        exact.push(p.trace());
    }
    let w0 = steps / 4;
    let slope_of = |excl: Option<usize>| {
        let (mut xs, mut ys) = (vec![], vec![]);
        for s in w0..=steps {
            let mut tot = 0.0;
            let mut cnt = 0;
            for g in 0..groups {
                if Some(g) != excl {
                    tot += sums[g][s];
                    cnt += 1;
                }
            }
            xs.push(s as f64);
            ys.push((tot / (cnt as f64 * (chains / groups) as f64)).ln());
        }
        numerics::stats::slope(&xs, &ys)
    };
    let full = slope_of(None);
    let jk: Vec<f64> = (0..groups).map(|g| slope_of(Some(g))).collect();
    let jm = jk.iter().sum::<f64>() / groups as f64;
    let se = (((groups - 1) as f64 / groups as f64)
        * jk.iter().map(|x| (x - jm).powi(2)).sum::<f64>())
    .sqrt();
    let rho = t.spectral_radius().unwrap();
    let mc_end = tot / chains as f64;
    let var = last.iter().map(|x| (x - mc_end).powi(2)).sum::<f64>() / (chains - 1) as f64;
    let z = (mc_end - exact[steps]) / (var / chains as f64).sqrt();
    let gd = (1.0 - eta * numerics::spectrum::lambda_max(t.mean_hessian()).unwrap()).powi(2);
    println!("  gd {gd:.4} rho {rho:.4} wu {:.4} ηλ {:.3} logrho {:.5} slope {full:.5} se {se:.5} rel {:+.4} relse {:.4} mc/exact {:.3} z {z:.2} maxshare {maxshare:.3} ess {ess:.0}", t.wu_criterion().unwrap(), eta*numerics::spectrum::lambda_max(t.mean_hessian()).unwrap(), rho.ln(), full / rho.ln() - 1.0, se / rho.ln().abs(), mc_end/exact[steps]);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let d: usize = args[1].parse().unwrap();
    let n: usize = args[2].parse().unwrap();
    let b: usize = args[3].parse().unwrap();
    let rank: usize = args[4].parse().unwrap();
    let steps: usize = args[5].parse().unwrap();
    let chains: usize = args[6].parse().unwrap();
    let shift: f64 = args[7].parse().unwrap();
    let mut rng = Seed(0).stream("scratch");
    let g0 = DMatrix::<f64>::from_fn(d, d, |_, _| StandardNormal.sample(&mut rng));
    let h0 = &g0 * g0.transpose() / d as f64 + DMatrix::identity(d, d) * 0.2;
    let hs: Vec<DMatrix<f64>> = (0..n)
        .map(|_| {
            let g = DMatrix::<f64>::from_fn(d, rank, |_, _| StandardNormal.sample(&mut rng));
            &h0 + &g * g.transpose() * shift
        })
        .collect();
    let t0 = MeanSquareStability::new(hs.clone(), b, 1.0).unwrap();
    let lmax = numerics::spectrum::lambda_max(t0.mean_hessian()).unwrap();
    println!(
        "d {d} n {n} B {b} p {:.4} lmax {lmax:.3} lmaxSigma {:.3}",
        t0.batch_factor(),
        numerics::spectrum::lambda_max(&t0.hessian_covariance()).unwrap()
    );
    for target in [0.97, 0.98, 1.02, 1.03] {
        if let Some(eta) = eta_for(&t0, target, lmax) {
            let t = t0.clone().with_learning_rate(eta).unwrap();
            let st = std::time::Instant::now();
            sim(&hs, b, &t, eta, steps, chains, 1);
            println!("   {:?}", st.elapsed());
        }
    }
}
