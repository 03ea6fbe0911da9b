//! The data readers on small files written here in exactly the official formats:
//! CIFAR-10/100 binary records, MNIST IDX (plain and gzipped), ImageNet-style folders of
//! PNG/JPEG files; the `--data` parser; `RandomResizedCrop`.

// The fixture writers below are helpers, not #[test] fns: a failed write aborts the test.
#![allow(clippy::unwrap_used)]

use experiments::data::{cifar, image_folder, mnist, Augmentation, DataSource, RandomResizedCrop};
use experiments::ExperimentError;
use numerics::Seed;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A fresh folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "igo-data-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A distinct pixel value for (record, c, y, x), never equal for two positions of one
/// record that the tests compare.
fn pixel(record: usize, c: usize, y: usize, x: usize) -> u8 {
    ((record * 7 + c * 61 + y * 5 + x * 3) % 251) as u8
}

/// One CIFAR record: label bytes then the R, G, B planes, each 32 rows of 32 bytes.
fn cifar_record(labels: &[u8], record: usize) -> Vec<u8> {
    let mut r = labels.to_vec();
    for c in 0..3 {
        for y in 0..32 {
            for x in 0..32 {
                r.push(pixel(record, c, y, x));
            }
        }
    }
    r
}

fn write_cifar10(dir: &Path, per_file: usize) {
    for (f, name) in cifar::CIFAR10_TRAIN_FILES
        .iter()
        .chain([&cifar::CIFAR10_TEST_FILE])
        .enumerate()
    {
        let mut bytes = Vec::new();
        for k in 0..per_file {
            let record = f * per_file + k;
            bytes.extend(cifar_record(&[(record % 10) as u8], record));
        }
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

fn write_cifar100(dir: &Path, n_train: usize, n_test: usize) {
    for (name, n, first) in [("train.bin", n_train, 0), ("test.bin", n_test, n_train)] {
        let mut bytes = Vec::new();
        for record in first..first + n {
            let fine = (record * 13 % 100) as u8;
            let coarse = (record % 20) as u8;
            bytes.extend(cifar_record(&[coarse, fine], record));
        }
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn cifar10_pixels_land_in_nchw_order_and_batches_concatenate_in_order() {
    let tmp = TempDir::new("c10");
    let dir = tmp.path().join(cifar::CIFAR10_SUBDIR);
    std::fs::create_dir(&dir).unwrap();
    write_cifar10(&dir, 3);
    // The parent folder is accepted as well as the folder itself.
    for root in [tmp.path(), dir.as_path()] {
        let split = cifar::load_cifar10(root).unwrap();
        assert_eq!(split.name, "cifar10");
        assert_eq!((split.train.len(), split.test.len()), (15, 3));
        assert_eq!(split.train.shape(), (3, 32, 32));
        assert_eq!(split.train.classes(), 10);
        let labels: Vec<u32> = (0..15).map(|r| (r % 10) as u32).collect();
        assert_eq!(split.train.labels(), labels.as_slice());
        assert_eq!(split.test.labels(), &[5, 6, 7]);
        // Image 7 of the training set is record 1 of data_batch_3.bin.
        let img = split.train.image(7).unwrap();
        for (c, y, x) in [(0, 0, 0), (0, 0, 31), (1, 5, 9), (2, 31, 0), (2, 31, 31)] {
            assert_eq!(
                img[(c * 32 + y) * 32 + x],
                pixel(7, c, y, x),
                "({c}, {y}, {x})"
            );
        }
        assert_eq!(
            split.test.image(2).unwrap()[(32 + 3) * 32 + 4],
            pixel(17, 1, 3, 4)
        );
        assert_eq!(
            split.normalization,
            experiments::data::Normalization::cifar10()
        );
    }
}

#[test]
fn cifar100_uses_the_fine_label_by_default_and_the_coarse_on_request() {
    let tmp = TempDir::new("c100");
    write_cifar100(tmp.path(), 30, 4);
    let fine = cifar::load_cifar100(tmp.path(), cifar::Cifar100Label::Fine).unwrap();
    let coarse = cifar::load_cifar100(tmp.path(), cifar::Cifar100Label::Coarse).unwrap();
    assert_eq!((fine.train.classes(), coarse.train.classes()), (100, 20));
    assert_eq!(fine.train.labels()[29], 29 * 13 % 100);
    assert_eq!(coarse.train.labels()[29], 29 % 20);
    assert_eq!(fine.test.labels()[1], 31 * 13 % 100);
    assert_eq!(fine.train.pixels(), coarse.train.pixels());
    assert_eq!(
        fine.test.image(3).unwrap()[2 * 1024 + 32 * 10 + 20],
        pixel(33, 2, 10, 20)
    );
    assert_eq!(fine.name, "cifar100");
    assert_eq!(
        fine.normalization,
        experiments::data::Normalization::cifar100()
    );
    let via_source = DataSource::Cifar100 {
        path: tmp.path().to_path_buf(),
        coarse: true,
    }
    .load()
    .unwrap();
    assert_eq!(via_source.train.labels(), coarse.train.labels());
}

#[test]
fn cifar_truncated_record_names_the_file_and_the_record_offset() {
    let tmp = TempDir::new("c10-trunc");
    write_cifar10(tmp.path(), 2);
    let bad = tmp.path().join("data_batch_4.bin");
    let mut bytes = std::fs::read(&bad).unwrap();
    bytes.truncate(3073 + 100);
    std::fs::write(&bad, bytes).unwrap();
    match cifar::load_cifar10(tmp.path()) {
        Err(ExperimentError::Data { path, offset, .. }) => {
            assert_eq!(path, bad);
            assert_eq!(offset, 3073);
        }
        other => panic!("expected a Data error, got {other:?}"),
    }
    // CIFAR-100 records are 3074 bytes: a CIFAR-10 file read as CIFAR-100 is truncated
    // at the last whole multiple of 3074.
    let tmp = TempDir::new("c100-trunc");
    write_cifar100(tmp.path(), 3, 1);
    std::fs::write(tmp.path().join("train.bin"), vec![0u8; 3 * 3073]).unwrap();
    match cifar::load_cifar100(tmp.path(), cifar::Cifar100Label::Fine) {
        Err(ExperimentError::Data { path, offset, .. }) => {
            assert_eq!(path, tmp.path().join("train.bin"));
            assert_eq!(offset, 2 * 3074);
        }
        other => panic!("expected a Data error, got {other:?}"),
    }
}

#[test]
fn cifar_label_out_of_range_names_the_file_and_the_record_offset() {
    let tmp = TempDir::new("c10-label");
    write_cifar10(tmp.path(), 3);
    let bad = tmp.path().join("test_batch.bin");
    let mut bytes = std::fs::read(&bad).unwrap();
    bytes[2 * 3073] = 10;
    std::fs::write(&bad, bytes).unwrap();
    let err = cifar::load_cifar10(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { path, offset: 6146, .. } if *path == bad),
        "{err}"
    );
    assert!(err.to_string().contains("label 10"), "{err}");

    let tmp = TempDir::new("c100-label");
    write_cifar100(tmp.path(), 5, 2);
    let bad = tmp.path().join("train.bin");
    let mut bytes = std::fs::read(&bad).unwrap();
    bytes[3 * 3074] = 20; // coarse label of record 3: checked even when fine is used
    std::fs::write(&bad, &bytes).unwrap();
    let err = cifar::load_cifar100(tmp.path(), cifar::Cifar100Label::Fine).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { path, offset: 9222, .. } if *path == bad),
        "{err}"
    );
    bytes[3 * 3074] = 0;
    bytes[4 * 3074 + 1] = 100; // fine label of record 4
    std::fs::write(&bad, &bytes).unwrap();
    let err = cifar::load_cifar100(tmp.path(), cifar::Cifar100Label::Coarse).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { offset: 12296, .. }),
        "{err}"
    );
}

#[test]
fn cifar_missing_file_names_the_file_and_the_folder() {
    let tmp = TempDir::new("c10-missing");
    write_cifar10(tmp.path(), 1);
    std::fs::remove_file(tmp.path().join("data_batch_5.bin")).unwrap();
    let err = cifar::load_cifar10(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Io { path, .. } if path.ends_with("data_batch_5.bin")),
        "{err}"
    );
    assert!(err.to_string().contains(&tmp.path().display().to_string()));
    let empty = TempDir::new("c100-missing");
    let err = cifar::load_cifar100(empty.path(), cifar::Cifar100Label::Fine).unwrap_err();
    assert!(err.to_string().contains("test.bin"), "{err}");
    assert!(err.to_string().contains("cifar-100-binary"), "{err}");
}

/// An IDX file: magic, dims (big-endian u32), then the bytes.
fn idx(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend_from_slice(body);
    out
}

fn mnist_pixel(i: usize, y: usize, x: usize) -> u8 {
    ((i * 31 + y * 28 + x) % 256) as u8
}

/// Writes the four MNIST files (rows × cols images), gzipped if `gz`.
fn write_mnist(dir: &Path, n_train: usize, n_test: usize, (rows, cols): (usize, usize), gz: bool) {
    for (stem, n) in [("train", n_train), ("t10k", n_test)] {
        let mut pixels = Vec::new();
        for i in 0..n {
            for y in 0..rows {
                for x in 0..cols {
                    pixels.push(mnist_pixel(i, y, x));
                }
            }
        }
        let labels: Vec<u8> = (0..n).map(|i| (i * 3 % 10) as u8).collect();
        let files = [
            (
                format!("{stem}-images-idx3-ubyte"),
                idx(2051, &[n as u32, rows as u32, cols as u32], &pixels),
            ),
            (
                format!("{stem}-labels-idx1-ubyte"),
                idx(2049, &[n as u32], &labels),
            ),
        ];
        for (name, bytes) in files {
            if gz {
                let f = std::fs::File::create(dir.join(format!("{name}.gz"))).unwrap();
                let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::default());
                enc.write_all(&bytes).unwrap();
                enc.finish().unwrap();
            } else {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
    }
}

#[test]
fn mnist_reads_plain_and_gzipped_idx_files() {
    for gz in [false, true] {
        let tmp = TempDir::new("mnist");
        write_mnist(tmp.path(), 12, 5, (28, 28), gz);
        let split = mnist::load(tmp.path()).unwrap();
        assert_eq!((split.train.len(), split.test.len()), (12, 5));
        assert_eq!(split.train.shape(), (1, 28, 28));
        assert_eq!(split.train.labels()[7], 1);
        assert_eq!(split.test.labels()[4], 2);
        assert_eq!(
            split.train.image(9).unwrap()[13 * 28 + 27],
            mnist_pixel(9, 13, 27)
        );
        assert_eq!(split.test.image(3).unwrap()[27 * 28], mnist_pixel(3, 27, 0));
        assert_eq!(split.name, "mnist");
        // Normalisation = the training pixels' mean and std, computed independently.
        let xs: Vec<f64> = (0..12)
            .flat_map(|i| {
                (0..28 * 28).map(move |p| f64::from(mnist_pixel(i, p / 28, p % 28)) / 255.0)
            })
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let std = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
        approx::assert_relative_eq!(
            f64::from(split.normalization.mean[0]),
            mean,
            max_relative = 1e-5
        );
        approx::assert_relative_eq!(
            f64::from(split.normalization.std[0]),
            std,
            max_relative = 1e-4
        );
    }
}

#[test]
fn mnist_rejects_bad_magic_counts_labels_and_truncation() {
    let tmp = TempDir::new("mnist-bad");
    write_mnist(tmp.path(), 4, 2, (5, 3), false);
    let images = tmp.path().join("train-images-idx3-ubyte");
    let labels = tmp.path().join("train-labels-idx1-ubyte");
    let good_images = std::fs::read(&images).unwrap();
    let good_labels = std::fs::read(&labels).unwrap();

    // Labels file given where images are expected: magic 2049 ≠ 2051.
    std::fs::write(&images, &good_labels).unwrap();
    let err = mnist::load(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { path, offset: 0, .. } if *path == images),
        "{err}"
    );
    assert!(err.to_string().contains("2049"), "{err}");

    // Truncated: the header says 4 images of 15 bytes, the file holds 2 and 7 bytes.
    std::fs::write(&images, &good_images[..16 + 2 * 15 + 7]).unwrap();
    let err = mnist::load(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { offset: 46, .. }),
        "{err}"
    );
    std::fs::write(&images, &good_images).unwrap();

    // Label 10 in position 2 (byte 8 + 2).
    let mut bad = good_labels.clone();
    bad[10] = 10;
    std::fs::write(&labels, &bad).unwrap();
    let err = mnist::load(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { path, offset: 10, .. } if *path == labels),
        "{err}"
    );

    // 3 labels for 4 images.
    std::fs::write(&labels, idx(2049, &[3], &[0, 1, 2])).unwrap();
    let err = mnist::load(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { path, .. } if *path == labels),
        "{err}"
    );
    assert!(err.to_string().contains("4 images"), "{err}");

    // Missing test images.
    std::fs::write(&labels, &good_labels).unwrap();
    std::fs::remove_file(tmp.path().join("t10k-images-idx3-ubyte")).unwrap();
    let err = mnist::load(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Io { .. })
            && err.to_string().contains("t10k-images-idx3-ubyte"),
        "{err}"
    );

    // A gzip file that is not gzip.
    std::fs::write(tmp.path().join("t10k-images-idx3-ubyte.gz"), b"not gzip").unwrap();
    let err = mnist::load(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { offset: 0, .. }),
        "{err}"
    );
}

/// Writes an RGB PNG of size w×h whose pixel (x, y) is `f(x, y)`.
fn write_png(path: &Path, (w, h): (u32, u32), f: impl Fn(u32, u32) -> [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_fn(w, h, |x, y| image::Rgb(f(x, y)))
        .save(path)
        .unwrap();
}

#[test]
fn image_folder_resizes_the_shorter_side_and_centre_crops() {
    let tmp = TempDir::new("folder");
    let root = tmp.path().join("tiny-imagenet");
    // Class names sorted: "ant" < "bee" < "cat".
    for (class, colour) in [
        ("cat", [200, 10, 30]),
        ("ant", [1, 2, 3]),
        ("bee", [9, 99, 199]),
    ] {
        write_png(
            &root.join("train").join(class).join("b.png"),
            (20, 12),
            |_, _| colour,
        );
        write_png(
            &root.join("train").join(class).join("a.PNG"),
            (12, 20),
            |_, _| colour,
        );
        write_png(
            &root.join("val").join(class).join("v.png"),
            (16, 16),
            |_, _| colour,
        );
    }
    // A JPEG too (constant colour survives JPEG's lossy coding to within a few levels).
    image::RgbImage::from_pixel(10, 10, image::Rgb([120, 120, 120]))
        .save(root.join("val/bee/w.jpg"))
        .unwrap();
    // Non-image files are ignored.
    std::fs::write(root.join("train/ant/notes.txt"), b"hello").unwrap();

    let split = image_folder::load(&root, 10, 8).unwrap();
    assert_eq!(split.name, "tiny-imagenet");
    assert_eq!(split.train.shape(), (3, 8, 8));
    assert_eq!(split.train.len(), 6);
    assert_eq!(split.test.len(), 4);
    assert_eq!(split.train.classes(), 3);
    assert_eq!(split.train.labels(), &[0, 0, 1, 1, 2, 2]);
    assert_eq!(split.test.labels(), &[0, 1, 1, 2]);
    assert_eq!(split.train.pixels().len(), 6 * 3 * 8 * 8);
    // Constant images stay constant, channel by channel (planes R, G, B).
    let cat = split.train.image(4).unwrap();
    assert!(cat[..64].iter().all(|&v| v == 200));
    assert!(cat[64..128].iter().all(|&v| v == 10));
    assert!(cat[128..].iter().all(|&v| v == 30));
    let jpeg = split.test.image(2).unwrap();
    assert!(jpeg.iter().all(|&v| v.abs_diff(120) <= 3), "{jpeg:?}");
    assert_eq!(
        split.normalization,
        experiments::data::Normalization::imagenet()
    );
}

#[test]
fn image_folder_keeps_the_centre_of_the_resized_image() {
    // 40×20 image with columns coloured by x; Resize(10) → 20×10 (each output column
    // averages 2 source columns), CenterCrop(10) keeps output columns 5..15, i.e.
    // source columns 10..30. Pure horizontal gradient: x ↦ 5x.
    let tmp = TempDir::new("folder-centre");
    let root = tmp.path();
    write_png(&root.join("train/a/x.png"), (40, 20), |x, _| {
        [(5 * x) as u8, 0, 0]
    });
    write_png(&root.join("val/a/x.png"), (40, 20), |x, _| {
        [(5 * x) as u8, 0, 0]
    });
    let split = image_folder::load(root, 10, 10).unwrap();
    let img = split.train.image(0).unwrap();
    // Output column j of the resize has centre at source x = 2j + 1 / 2 … its
    // triangle-filtered value is the mean of the linear ramp near 2j + 0.5: 5·(2j + 0.5).
    for row in 0..10 {
        for col in 0..10 {
            let j = col + 5;
            let expect = 5.0 * (2.0 * j as f64 + 0.5);
            let got = f64::from(img[row * 10 + col]);
            assert!(
                (got - expect).abs() <= 1.0,
                "row {row} col {col}: {got} vs {expect}"
            );
        }
    }
}

#[test]
fn image_folder_rejects_class_mismatch_corrupt_images_and_bad_sizes() {
    let tmp = TempDir::new("folder-bad");
    let root = tmp.path();
    for class in ["a", "b"] {
        write_png(
            &root.join("train").join(class).join("x.png"),
            (8, 8),
            |_, _| [1, 2, 3],
        );
    }
    write_png(&root.join("val/a/x.png"), (8, 8), |_, _| [1, 2, 3]);
    write_png(&root.join("val/c/x.png"), (8, 8), |_, _| [1, 2, 3]);
    let err = image_folder::load(root, 8, 8).unwrap_err();
    assert!(matches!(err, ExperimentError::Other(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("only in train: b") && msg.contains("only in val: c"),
        "{msg}"
    );

    std::fs::rename(root.join("val/c"), root.join("val/b")).unwrap();
    image_folder::load(root, 8, 8).unwrap();

    let corrupt = root.join("train/b/y.png");
    std::fs::write(&corrupt, b"\x89PNG\r\n\x1a\n this is not a png").unwrap();
    let err = image_folder::load(root, 8, 8).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { path, .. } if *path == corrupt),
        "{err}"
    );
    std::fs::remove_file(&corrupt).unwrap();

    let webp = root.join("val/a/z.webp");
    std::fs::write(&webp, b"RIFF").unwrap();
    let err = image_folder::load(root, 8, 8).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Data { path, .. } if *path == webp),
        "{err}"
    );
    std::fs::remove_file(&webp).unwrap();

    let err = image_folder::load(root, 6, 8).unwrap_err();
    assert!(matches!(err, ExperimentError::Config { .. }), "{err}");

    std::fs::remove_file(root.join("val/b/x.png")).unwrap();
    let err = image_folder::load(root, 8, 8).unwrap_err();
    assert!(
        matches!(&err, ExperimentError::Io { path, .. } if path.ends_with("val/b")),
        "{err}"
    );
    std::fs::remove_dir_all(root.join("val")).unwrap();
    let err = image_folder::load(root, 8, 8).unwrap_err();
    assert!(matches!(&err, ExperimentError::Io { .. }), "{err}");
}

#[test]
fn data_flag_parses_every_accepted_form_and_lists_them_on_error() {
    let p = |s: &str| s.parse::<DataSource>();
    assert_eq!(p("digits").unwrap(), DataSource::Digits);
    assert_eq!(DataSource::default(), DataSource::Digits);
    assert_eq!(
        p("cifar10:/d/c10").unwrap(),
        DataSource::Cifar10 {
            path: "/d/c10".into()
        }
    );
    assert_eq!(
        p("cifar100:C:/x:y").unwrap(),
        DataSource::Cifar100 {
            path: "C:/x:y".into(),
            coarse: false
        }
    );
    assert_eq!(
        p("cifar100-coarse:rel/dir").unwrap(),
        DataSource::Cifar100 {
            path: "rel/dir".into(),
            coarse: true
        }
    );
    assert_eq!(
        p("mnist:m").unwrap(),
        DataSource::Mnist { path: "m".into() }
    );
    assert_eq!(
        p("image-folder:/imagenet").unwrap(),
        DataSource::ImageFolder {
            path: "/imagenet".into(),
            resize: 256,
            crop: 224
        }
    );
    for bad in [
        "cifar",
        "cifar10",
        "cifar10:",
        "digits:/x",
        "imagenet:/x",
        "",
    ] {
        let err = p(bad).unwrap_err();
        assert!(
            matches!(&err, ExperimentError::Config { key, .. } if key == "--data"),
            "{bad}: {err}"
        );
        let msg = err.to_string();
        for form in [
            "digits",
            "cifar10:PATH",
            "cifar100:PATH",
            "mnist:PATH",
            "image-folder:PATH",
        ] {
            assert!(msg.contains(form), "{bad}: {msg}");
        }
    }
    // Display is the flag form and parses back.
    for s in [
        "digits",
        "cifar10:/a",
        "cifar100-coarse:/b",
        "mnist:c",
        "image-folder:/d",
    ] {
        assert_eq!(p(s).unwrap().to_string(), s);
    }
}

#[test]
fn data_source_config_form_round_trips_and_rejects_unknown_keys() {
    #[derive(serde::Deserialize)]
    struct Config {
        data: DataSource,
    }
    let c: Config =
        toml::from_str("[data]\nkind = \"image-folder\"\npath = \"/x\"\ncrop = 32\n").unwrap();
    assert_eq!(
        c.data,
        DataSource::ImageFolder {
            path: "/x".into(),
            resize: 256,
            crop: 32
        }
    );
    let c: Config = toml::from_str("[data]\nkind = \"digits\"\n").unwrap();
    assert_eq!(c.data, DataSource::Digits);
    let c: Config = toml::from_str("[data]\nkind = \"cifar100\"\npath = \"/c\"\n").unwrap();
    assert_eq!(
        c.data,
        DataSource::Cifar100 {
            path: "/c".into(),
            coarse: false
        }
    );
    assert!(
        toml::from_str::<Config>("[data]\nkind = \"cifar10\"\npath = \"/c\"\ncoarse = true\n")
            .is_err()
    );
    assert!(toml::from_str::<Config>("[data]\nkind = \"cifar10\"\n").is_err());
    assert!(toml::from_str::<Config>("[data]\nkind = \"svhn\"\npath = \"/c\"\n").is_err());
    let json = serde_json::to_string(&DataSource::Mnist { path: "/m".into() }).unwrap();
    assert_eq!(json, r#"{"kind":"mnist","path":"/m"}"#);
    // validate: sizes and the folder's existence, before any reading.
    let tmp = TempDir::new("validate");
    let bad_sizes = DataSource::ImageFolder {
        path: tmp.path().into(),
        resize: 100,
        crop: 224,
    };
    assert!(
        matches!(bad_sizes.validate(), Err(ExperimentError::Config { key, .. }) if key == "data.resize")
    );
    let missing = DataSource::Cifar10 {
        path: tmp.path().join("nope"),
    };
    assert!(
        matches!(missing.validate(), Err(ExperimentError::Config { key, .. }) if key == "data.path")
    );
    assert!(DataSource::Digits.validate().is_ok());
    assert_eq!(DataSource::Digits.load().unwrap().train.len(), 1438);
}

#[test]
fn random_resized_crop_is_seeded_keeps_the_shape_and_keeps_constant_images_constant() {
    let rrc = RandomResizedCrop::default();
    rrc.validate().unwrap();
    let shape = (3, 24, 32);
    let original: Vec<u8> = (0..3 * 24 * 32).map(|i| (i * 7 % 256) as u8).collect();
    let run = |seed: u64| {
        let mut rng = Seed(seed).stream("augmentation");
        (0..5)
            .map(|_| {
                let mut img = original.clone();
                rrc.apply(&mut img, shape, &mut rng);
                img
            })
            .collect::<Vec<_>>()
    };
    let a = run(1);
    assert_eq!(a, run(1));
    assert_ne!(a, run(2));
    assert!(a.iter().all(|img| img.len() == original.len()));
    assert!(a.iter().any(|img| *img != original));

    // Regions: inside the image, area fraction and ratio in range whenever not the
    // fallback (the fallback is the whole image here since 32/24 ∈ [3/4, 4/3]).
    let mut rng = Seed(3).stream("rrc");
    for _ in 0..500 {
        let (top, left, h, w) = rrc.params(24, 32, &mut rng);
        assert!(h >= 1 && w >= 1 && top + h <= 24 && left + w <= 32);
        if (h, w) != (24, 32) {
            let frac = (h * w) as f64 / (24.0 * 32.0);
            // Rounding h and w to integers moves the area and ratio a little.
            assert!((0.08 * 0.7..=1.0).contains(&frac), "{frac}");
            let r = w as f64 / h as f64;
            assert!((0.75 / 1.5..=4.0 / 3.0 * 1.5).contains(&r), "{r}");
        }
    }

    // Constant image (per channel) → the same constant, for many draws.
    let mut rng = Seed(4).stream("rrc");
    for _ in 0..50 {
        let mut img: Vec<u8> = [17u8, 128, 255]
            .iter()
            .flat_map(|&v| std::iter::repeat_n(v, 24 * 32))
            .collect();
        rrc.apply(&mut img, shape, &mut rng);
        assert!(img[..768].iter().all(|&v| v == 17));
        assert!(img[768..1536].iter().all(|&v| v == 128));
        assert!(img[1536..].iter().all(|&v| v == 255));
    }

    // Scale (1, 1) with ratio 1 on a square image: the whole image, unchanged.
    let whole = RandomResizedCrop {
        scale: (1.0, 1.0),
        ratio: (1.0, 1.0),
    };
    let mut img = original[..3 * 16 * 16].to_vec();
    whole.apply(&mut img, (3, 16, 16), &mut Seed(5).stream("rrc"));
    assert_eq!(img, original[..3 * 16 * 16]);

    // A 2×2 region resized to 4×4 reproduces PIL's bilinear upscaling: output pixels
    // sample at (x + ½)/2 − ½ ∈ {0 (clamped), 0.25, 0.75, 1}.
    let tiny = RandomResizedCrop {
        scale: (0.25, 0.25),
        ratio: (1.0, 1.0),
    };
    let mut rng = Seed(6).stream("rrc");
    let (_, left, h, w) = tiny.params(4, 4, &mut rng);
    assert_eq!((h, w), (2, 2));
    let ramp: Vec<u8> = (0..16).map(|i| (i % 4 * 40) as u8).collect(); // x ↦ 40x
    let mut img = ramp.clone();
    tiny.apply(&mut img, (1, 4, 4), &mut Seed(6).stream("rrc"));
    let base = 40.0 * left as f64;
    let expect: Vec<u8> = [0.0, 0.25, 0.75, 1.0]
        .iter()
        .map(|s| (base + 40.0 * s).round() as u8)
        .collect();
    for row in img.chunks(4) {
        assert_eq!(row, expect.as_slice());
    }

    // Bad parameters are rejected by validate and never panic in apply.
    let bad = RandomResizedCrop {
        scale: (0.5, 0.1),
        ratio: (-1.0, 2.0),
    };
    assert!(bad.validate().is_err());
    let mut img = original.clone();
    bad.apply(&mut img, shape, &mut Seed(7).stream("rrc"));
    assert_eq!(img.len(), original.len());
}

#[test]
fn imagenet_augmentation_draws_crop_then_flip() {
    let aug = Augmentation::imagenet();
    assert!(!aug.is_identity());
    let shape = (3, 8, 8);
    let original: Vec<u8> = (0..192).map(|i| i as u8).collect();
    let mut a = original.clone();
    let mut b = original.clone();
    aug.apply(&mut a, shape, &mut Seed(9).stream("augmentation"));
    // Same draws by hand: RandomResizedCrop then the flip.
    let mut rng = Seed(9).stream("augmentation");
    RandomResizedCrop::default().apply(&mut b, shape, &mut rng);
    Augmentation {
        horizontal_flip: true,
        ..Augmentation::none()
    }
    .apply(&mut b, shape, &mut rng);
    assert_eq!(a, b);
    // Configs written before the field existed still parse.
    let old: Augmentation = serde_json::from_str(
        r#"{"crop_padding":4,"horizontal_flip":true,"rotation_degrees":15.0}"#,
    )
    .unwrap();
    assert_eq!(old, Augmentation::cifar());
}
