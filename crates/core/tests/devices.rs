//! Devices, views and prepared recurrent weights. Device-independent cases run once per device
//! this process can use (`Device::available()`): the CPU, and every GPU where GPU tensors are
//! usable (the GPU check).

use seqtorch_core::optim::{sgd_step, ParamState, SgdConfig};
use seqtorch_core::rnn::{prepared_weight_builds, rnn_forward, RnnConfig, RnnInput, RnnMode};
use seqtorch_core::{Device, ErrorKind, Tensor};

fn on(device: Device, data: Vec<f32>, shape: &[usize]) -> Tensor {
    Tensor::from_f32(data, shape.to_vec())
        .unwrap()
        .to_device(device)
        .unwrap()
}

fn seq(n: usize) -> Vec<f32> {
    (0..n).map(|i| i as f32).collect()
}

#[test]
fn the_cpu_is_always_there_and_a_missing_gpu_is_a_device_error() {
    let all = Device::available();
    assert_eq!(all[0], Device::Cpu);
    if all.len() == 1 {
        let e = Tensor::scalar(1.0).to_device(Device::Cuda(0)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Device);
        assert!(e.message.contains("cuda:0"), "{}", e.message);
        // The reason is what `cuda.status()` reports: no backend compiled in, a missing
        // library, no GPU, or GPU tensors switched off (SEQTORCH_EXPERIMENTAL_CUDA).
        let reason = seqtorch_core::backend::cuda::status()
            .reason
            .expect("a reason while no GPU is usable");
        assert!(e.message.contains(&reason), "{} / {reason}", e.message);
        let e = Device::Cuda(3).ensure_available().unwrap_err();
        assert_eq!(e.kind, ErrorKind::Device);
    }
}

#[test]
fn gpu_memory_figures_and_synchronisation_need_a_usable_gpu() {
    use seqtorch_core::backend::cuda;
    let usable = Device::available().len() - 1;
    // The first GPU's when there is one (the GPU check), else the same error as using it.
    let checks: [(&str, seqtorch_core::Result<()>); 4] = [
        ("memory_stats", cuda::memory_stats(0).map(|_| ())),
        ("reset_peak_memory_stats", cuda::reset_peak_memory_stats(0)),
        ("empty_cache", cuda::empty_cache(0)),
        ("synchronize", cuda::synchronize(0)),
    ];
    for (name, r) in checks {
        match (usable, r) {
            (0, Ok(())) => panic!("{name} succeeded with no usable GPU"),
            (0, Err(e)) => {
                assert_eq!(e.kind, ErrorKind::Device, "{name}");
                assert!(e.message.contains("cuda:0"), "{name}: {}", e.message);
            }
            (_, r) => r.unwrap_or_else(|e| panic!("{name} on cuda:0: {e}")),
        }
    }
    // A GPU beyond the last is an error either way.
    let e = cuda::memory_stats(usable).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Device);
    assert!(
        e.message.contains(&format!("cuda:{usable}")),
        "{}",
        e.message
    );
}

#[test]
fn views_share_storage_and_version() {
    for d in Device::available() {
        let x = on(d, seq(24), &[2, 3, 4]);
        let views = [
            x.transpose(0, 2).unwrap(),
            x.permute(&[1, 2, 0]).unwrap(),
            x.narrow(2, 1, 2).unwrap(),
            x.select(1, 2).unwrap(),
            x.unsqueeze(1).unwrap(),
            x.narrow(0, 1, 1).unwrap().squeeze(Some(0)).unwrap(),
            x.select(0, 0)
                .unwrap()
                .select(0, 0)
                .unwrap()
                .expand(&[5, 4])
                .unwrap(),
        ];
        for v in &views {
            assert!(v.same_storage(&x), "{d}: {v:?} copied");
            assert_eq!(v.device(), d);
        }
        assert_eq!(
            views[0].to_vec_f32()[..6],
            [0.0, 12.0, 4.0, 16.0, 8.0, 20.0],
            "{d}: transpose"
        );
        assert_eq!(
            views[2].to_vec_f32()[..4],
            [1.0, 2.0, 5.0, 6.0],
            "{d}: narrow"
        );
        assert_eq!(
            views[3].to_vec_f32(),
            [8.0, 9.0, 10.0, 11.0, 20.0, 21.0, 22.0, 23.0]
        );
        assert!(!views[0].is_contiguous() && views[3].select(0, 1).unwrap().is_contiguous());
        // A write through a view reaches the base, and bumps the version every view shares.
        let before = x.version();
        let col = x.select(2, 0).unwrap();
        col.copy_(&on(d, vec![-1.0; 6], &[2, 3])).unwrap();
        assert_eq!(x.version(), before + 1);
        assert_eq!(views[1].version(), x.version());
        let flat = x.to_vec_f32();
        assert_eq!((flat[0], flat[1], flat[4], flat[5]), (-1.0, 1.0, -1.0, 5.0));
        // Reshaping a strided view copies (PyTorch's reshape); reshaping a contiguous one does not.
        assert!(!views[0].reshape(&[-1]).unwrap().same_storage(&x));
        assert!(x.reshape(&[6, 4]).unwrap().same_storage(&x));
    }
}

#[test]
fn strided_operands_give_the_same_numbers_as_contiguous_copies() {
    for d in Device::available() {
        let a = on(d, seq(12), &[3, 4]);
        let b = on(d, seq(12).iter().map(|v| v * 0.5 - 2.0).collect(), &[4, 3]);
        let at = a.t().unwrap();
        let at_copy = at.contiguous().unwrap();
        assert!(at_copy.is_contiguous() && !at_copy.same_storage(&a));
        let pairs = [
            (at.mm(&a).unwrap(), at_copy.mm(&a).unwrap()),
            (at.add(&b).unwrap(), at_copy.add(&b).unwrap()),
            (
                at.sum(Some(&[0]), false).unwrap(),
                at_copy.sum(Some(&[0]), false).unwrap(),
            ),
            (
                b.t().unwrap().mm(&at).unwrap(),
                b.t().unwrap().contiguous().unwrap().mm(&at_copy).unwrap(),
            ),
        ];
        for (i, (x, y)) in pairs.iter().enumerate() {
            assert_eq!(x.to_vec_f32(), y.to_vec_f32(), "{d}: case {i}");
        }
    }
}

fn lstm_weights(cfg: &RnnConfig) -> Vec<Tensor> {
    cfg.weight_specs()
        .into_iter()
        .enumerate()
        .map(|(i, (_, shape))| {
            let n: usize = shape.iter().product();
            let v = (0..n)
                .map(|j| (((j * 7 + i * 13) % 17) as f32 - 8.0) * 0.02)
                .collect();
            Tensor::from_f32(v, shape)
                .unwrap()
                .requires_grad_(true)
                .unwrap()
        })
        .collect()
}

fn step(cfg: &RnnConfig, x: &Tensor, w: &[Tensor]) -> Vec<f32> {
    let _ng = seqtorch_core::autograd::NoGradGuard::new();
    let out = rnn_forward(
        cfg,
        RnnInput {
            input: x,
            batch_sizes: None,
            hx: None,
            cx: None,
            weights: w,
            training: false,
        },
    )
    .unwrap();
    out.output.to_vec_f32()
}

#[test]
fn prepared_recurrent_weights_are_reused_until_a_weight_changes() {
    // Counts are process-wide: this is the only test in this binary that runs an RNN.
    let cfg = RnnConfig {
        mode: RnnMode::Lstm,
        input_size: 3,
        hidden_size: 5,
        num_layers: 2,
        bias: true,
        batch_first: false,
        dropout: 0.0,
        bidirectional: false,
        proj_size: 2,
    };
    let w = lstm_weights(&cfg);
    // Three steps: with one step from a zero state, W_hh would never be read.
    let x = Tensor::from_f32(seq(18).iter().map(|v| v * 0.1).collect(), vec![3, 2, 3]).unwrap();
    let start = prepared_weight_builds();
    let first = step(&cfg, &x, &w);
    // W_hh and W_hr of two layers, and W_ih (six input rows: a short input).
    assert_eq!(prepared_weight_builds() - start, 6);
    for _ in 0..50 {
        assert_eq!(step(&cfg, &x, &w), first);
    }
    assert_eq!(
        prepared_weight_builds() - start,
        6,
        "steps rebuilt prepared weights"
    );

    // copy_ into W_hh of layer 1 (as loadStateDict does): rebuilt, and the new values are used.
    let w_hh_l1 = &w[cfg.weights_per_direction() + 1];
    {
        let _ng = seqtorch_core::autograd::NoGradGuard::new();
        let zeros = Tensor::zeros_f32("test", w_hh_l1.shape()).unwrap();
        w_hh_l1.copy_(&zeros).unwrap();
    }
    let after_copy = step(&cfg, &x, &w);
    assert_eq!(prepared_weight_builds() - start, 7);
    let fresh: Vec<Tensor> = w.iter().map(|t| t.deep_copy().unwrap()).collect();
    assert_eq!(
        after_copy,
        step(&cfg, &x, &fresh),
        "stale prepared weights were used"
    );
    assert_ne!(after_copy, first);

    // An optimizer step writes every weight in place: all six are rebuilt once.
    for t in &w {
        t.set_grad(Some(
            Tensor::from_f32(vec![0.5; t.numel()], t.shape().to_vec()).unwrap(),
        ))
        .unwrap();
    }
    let mut states = vec![ParamState::default(); w.len()];
    let sgd = SgdConfig {
        lr: 0.1,
        momentum: 0.0,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
        maximize: false,
    };
    sgd_step(&sgd, &w, &mut states).unwrap();
    let base = prepared_weight_builds();
    let after_step = step(&cfg, &x, &w);
    assert_eq!(prepared_weight_builds() - base, 6);
    let fresh: Vec<Tensor> = w.iter().map(|t| t.deep_copy().unwrap()).collect();
    assert_eq!(after_step, step(&cfg, &x, &fresh));
}

#[test]
fn softmax_clamp_and_their_gradients_agree_on_every_device() {
    use seqtorch_core::autograd::backward;
    use seqtorch_core::nn::{log_softmax, softmax};
    // Values whose exp() overflows unshifted, an infinite one, and one at a clamp bound.
    let mut values: Vec<f32> = (0..24).map(|i| ((i * 7) % 11) as f32 * 0.9 - 4.0).collect();
    values[5] += 200.0;
    values[9] = f32::NEG_INFINITY;
    values[13] = 1.0;
    let upstream: Vec<f32> = (0..24).map(|i| (i as f32 - 7.0) * 0.25).collect();
    let run = |d: Device, which: usize| {
        let x = on(d, values.clone(), &[2, 3, 4])
            .requires_grad_(true)
            .unwrap();
        let y = match which {
            0 => softmax(&x, 1).unwrap(),
            1 => log_softmax(&x, -1).unwrap(),
            _ => x.clamp(Some(-1.5), Some(1.0)).unwrap(),
        };
        backward(&y, Some(&on(d, upstream.clone(), &[2, 3, 4])), false).unwrap();
        (y.to_vec_f32(), x.grad().unwrap().to_vec_f32())
    };
    for which in 0..3 {
        let (want_y, want_g) = run(Device::Cpu, which);
        assert!(want_y.iter().all(|v| !v.is_nan()), "{which}: {want_y:?}");
        for d in Device::available() {
            let (y, g) = run(d, which);
            for (got, want, what) in [(&y, &want_y, "output"), (&g, &want_g, "gradient")] {
                for (i, (a, b)) in got.iter().zip(want.iter()).enumerate() {
                    let ok = a == b || (a - b).abs() <= 1e-6 + 1e-5 * b.abs();
                    assert!(ok, "op {which} {what}[{i}] on {d}: {a} vs cpu {b}");
                }
            }
        }
    }
}
