//! What `igo reproduce` runs: groups of experiments, each group one directory of
//! experiment directories (as `igo figure --experiments DIR` reads them).
//!
//! * `--quick`: the four CPU-scale experiments of spec §10.6 on the embedded digits
//!   with an MLP 128-128, reduced so that the whole reproduction finishes in about ten
//!   minutes on two cores.
//! * `--paper 2311.08745`: spec §10.1–§10.2 at full scale: the four methods on
//!   ResNet-18 and on WRN-28-10 (CIFAR-100, 5 stages × 40 epochs, the authors'
//!   augmentation, 3 seeds) and the Figure-3 grid of constant (η, b) on ResNet-18 for
//!   200 epochs.
//! * `--paper 2412.11501`: spec §10.3: polynomial decay with SHB over p and explicit GO
//!   on ResNet-18 / CIFAR-100, 200 epochs, 3 seeds.

use super::job::Job;
use experiments::data::{Augmentation, DataSource};
use experiments::experiment::{explicit_go, methods, poly_power, sharpness_vs_delta, Common};
use experiments::models::Architecture;
use experiments::train::config::Setting;
use std::path::{Path, PathBuf};

/// The papers whose protocols `igo reproduce --paper` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    /// arXiv 2311.08745: SGD as implicit GO, the four methods and the sharpness figure.
    Sgd2311,
    /// arXiv 2412.11501 (AAAI-25): momentum, polynomial decay, explicit GO.
    Momentum2412,
}

impl Paper {
    /// The arXiv id.
    #[must_use]
    pub fn arxiv(self) -> &'static str {
        match self {
            Paper::Sgd2311 => "2311.08745",
            Paper::Momentum2412 => "2412.11501",
        }
    }
}

impl std::str::FromStr for Paper {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "2311.08745" => Ok(Paper::Sgd2311),
            "2412.11501" => Ok(Paper::Momentum2412),
            other => Err(format!(
                "unknown paper '{other}': expected 2311.08745 or 2412.11501"
            )),
        }
    }
}

/// A group of experiments sharing one experiments directory.
#[derive(Debug, Clone)]
pub struct Group {
    /// Label (`quick`, `resnet18`, `wrn-28-10`).
    pub label: String,
    /// Directory holding one directory per experiment (`DIR/NAME/`).
    pub experiments: PathBuf,
    /// Where the group's training figures go.
    pub figures: PathBuf,
    /// The experiments, in order.
    pub jobs: Vec<Job>,
}

/// Settings of a full-scale (`--paper`) reproduction.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperSettings {
    /// Which paper.
    pub paper: Paper,
    /// The CIFAR-100 directory (`cifar-100-binary/` with `train.bin`, `test.bin`).
    pub data: PathBuf,
    /// `cuda`, `cuda:N` or `cpu`.
    pub device: String,
    /// Seeds (the papers: three runs per setting).
    pub seeds: Vec<u64>,
}

fn common(out: PathBuf, seeds: &[u64]) -> Common {
    let mut c = Common::new(out);
    c.seeds = seeds.to_vec();
    c
}

/// The `--quick` plan under `root`: `root/experiments/NAME`, figures in
/// `root/figures`; seeds 0, 1, 2. Reduced from the experiments' defaults so that the
/// four take about 2–3 minutes on two cores (134 s measured under load): a 3 × 3
/// (η, b) grid for 10 epochs (fewer epochs leave the smallest-δ runs under-trained and
/// distort the sharpness figure), stages of 3 epochs for the methods, 10 epochs for
/// the powers, stages of 2 epochs for explicit GO.
#[must_use]
pub fn quick(root: &Path) -> Vec<Group> {
    let dir = root.join("experiments");
    let seeds = [0, 1, 2];
    let mut sweep =
        sharpness_vs_delta::Options::new(common(dir.join("sharpness-vs-delta"), &seeds));
    sweep.learning_rates = vec![0.03, 0.1, 0.3];
    sweep.batch_sizes = vec![8, 32, 128];
    sweep.epochs = 10;
    let mut methods = methods::Options::new(common(dir.join("methods"), &seeds));
    methods.stage_epochs = 3;
    let mut poly = poly_power::Options::new(common(dir.join("poly-power"), &seeds));
    poly.epochs = 10;
    let mut ego = explicit_go::Options::new(common(dir.join("explicit-go"), &seeds));
    ego.stage_epochs = 2;
    vec![Group {
        label: "quick".into(),
        experiments: dir,
        figures: root.join("figures"),
        jobs: vec![
            Job::SharpnessVsDelta(sweep),
            Job::Methods(methods),
            Job::PolyPower(poly),
            Job::ExplicitGo(ego),
        ],
    }]
}

/// The full-scale plan of `settings.paper` under `root`:
/// `root/PAPER/GROUP/experiments/NAME`, figures in `root/PAPER/GROUP/figures`.
#[must_use]
pub fn paper(root: &Path, settings: &PaperSettings) -> Vec<Group> {
    let base = root.join(settings.paper.arxiv());
    let data = DataSource::Cifar100 {
        path: settings.data.clone(),
        coarse: false,
    };
    let group_common = |group: &str, name: &str, model: Architecture| {
        let mut c = common(
            base.join(group).join("experiments").join(name),
            &settings.seeds,
        );
        c.model = model;
        c.data = data.clone();
        c.device.clone_from(&settings.device);
        c.augmentation = Augmentation::cifar();
        c
    };
    let group = |label: &str, jobs: Vec<Job>| Group {
        label: label.into(),
        experiments: base.join(label).join("experiments"),
        figures: base.join(label).join("figures"),
        jobs,
    };
    let resnet18 = Architecture::ResnetCifar {
        depth: 18,
        width: 64,
    };
    match settings.paper {
        Paper::Sgd2311 => {
            let mut m18 =
                methods::Options::new(group_common("resnet18", "methods", resnet18.clone()));
            m18.stage_epochs = 40;
            m18.setting = Setting::Resnet18Cifar100;
            let mut sweep = sharpness_vs_delta::Options::new(group_common(
                "resnet18",
                "sharpness-vs-delta",
                resnet18,
            ));
            // Figure 3's grid is unconfirmed (spec §10.2: "156 runs", checkpoints with
            // b = 4096): 13 batch sizes 2⁰ … 2¹² × 4 learning rates = 52 configurations.
            sweep.batch_sizes = (0..13).map(|k| 1usize << k).collect();
            sweep.learning_rates = vec![0.01, 0.05, 0.1, 0.5];
            sweep.epochs = 200;
            let mut wrn = methods::Options::new(group_common(
                "wrn-28-10",
                "methods",
                Architecture::WideResnet {
                    depth: 28,
                    widen: 10,
                },
            ));
            wrn.stage_epochs = 40;
            wrn.setting = Setting::Wrn28x10Cifar100;
            vec![
                group(
                    "resnet18",
                    vec![Job::Methods(m18), Job::SharpnessVsDelta(sweep)],
                ),
                group("wrn-28-10", vec![Job::Methods(wrn)]),
            ]
        }
        Paper::Momentum2412 => {
            // The AAAI code's CIFAR defaults (spec §10.3): η₀ = 0.1, β = 0.9, b = 32,
            // 200 epochs, no weight decay.
            let mut poly =
                poly_power::Options::new(group_common("resnet18", "poly-power", resnet18.clone()));
            poly.epochs = 200;
            poly.learning_rate = 0.1;
            poly.momentum = 0.9;
            poly.batch_size = 32;
            let mut ego =
                explicit_go::Options::new(group_common("resnet18", "explicit-go", resnet18));
            ego.stages = 5;
            ego.stage_epochs = 40;
            ego.batch_size = 32;
            vec![group(
                "resnet18",
                vec![Job::PolyPower(poly), Job::ExplicitGo(ego)],
            )]
        }
    }
}
