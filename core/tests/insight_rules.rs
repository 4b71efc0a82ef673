//! Workflow rules of the recommendations: each fires on a history built to show it, says
//! nothing on one built not to, and grows more confident with more runs.

mod insight_support;
use insight_support::*;
use telemetry_core::history::StoredRun;
use telemetry_core::insight::{recommend, recommend_with, Rule, RunExtras, Severity, SubjectKind};

fn slowdown(before: usize, after: usize) -> Vec<StoredRun> {
    let mut noise = Noise::new(7);
    let mut specs = steady("b", before, T0, 10_000.0, &mut noise);
    specs.extend(steady(
        "a",
        after,
        T0 + before as f64 * 600_000.0,
        18_000.0,
        &mut noise,
    ));
    build(&specs)
}

#[test]
fn a_slowdown_is_found_with_its_date_and_medians() {
    let runs = slowdown(40, 30);
    let found = of(&recommend(&runs, now(&runs)), Rule::WorkflowSlower);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.subject.kind, SubjectKind::Workflow);
    assert_eq!(
        f.subject.name,
        "CheckpointLoaderSimple → KSampler → VAEDecode"
    );
    assert_eq!(f.severity, Severity::Warning, "1.8× is a warning");
    let before = f.evidence.figure("median_before_ms").expect("before");
    let after = f.evidence.figure("median_after_ms").expect("after");
    assert!((9_000.0..11_000.0).contains(&before), "{before}");
    assert!((16_500.0..19_500.0).contains(&after), "{after}");
    assert_eq!(f.evidence.figure("changed_at"), Some(T0 + 40.0 * 600_000.0));
    assert_eq!(
        f.evidence.runs[0].prompt_id, "a0",
        "the first slow run leads"
    );
    assert_eq!(
        f.evidence.runs[1].prompt_id, "b39",
        "then the last fast one"
    );
    assert!(f.message.contains("1.7× slower"), "{}", f.message);
    let ratio = f.evidence.figure("ratio").expect("ratio");
    assert!((1.6..1.9).contains(&ratio), "{ratio}");
    assert!(f.message.contains("2026-11-"), "{}", f.message);
    assert!(f.confidence > 0.8, "{}", f.confidence);
    assert!(of(&recommend(&runs, now(&runs)), Rule::WorkflowFaster).is_empty());
}

#[test]
fn a_speedup_is_found_as_faster() {
    let mut noise = Noise::new(3);
    let mut specs = steady("b", 20, T0, 30_000.0, &mut noise);
    specs.extend(steady("a", 20, T0 + DAY, 12_000.0, &mut noise));
    let runs = build(&specs);
    let found = recommend(&runs, now(&runs));
    assert_eq!(of(&found, Rule::WorkflowFaster).len(), 1);
    assert!(of(&found, Rule::WorkflowSlower).is_empty());
    assert_eq!(of(&found, Rule::WorkflowFaster)[0].severity, Severity::Info);
}

#[test]
fn steady_noisy_durations_change_nothing() {
    let mut noise = Noise::new(11);
    let specs: Vec<Spec> = (0..120)
        .map(|i| {
            Spec::new(
                format!("r{i}"),
                T0 + i as f64 * 600_000.0,
                noise.around(10_000.0, 0.3),
            )
        })
        .collect();
    let runs = build(&specs);
    let found = recommend(&runs, now(&runs));
    assert!(of(&found, Rule::WorkflowSlower).is_empty(), "{found:#?}");
    assert!(of(&found, Rule::WorkflowFaster).is_empty(), "{found:#?}");
    // Too few runs to split says nothing either.
    let few = slowdown(4, 4);
    assert!(of(&recommend(&few, now(&few)), Rule::WorkflowSlower).is_empty());
}

#[test]
fn slowdown_confidence_grows_with_the_sample() {
    let small = slowdown(8, 8);
    let large = slowdown(40, 40);
    let c =
        |runs: &[StoredRun]| of(&recommend(runs, now(runs)), Rule::WorkflowSlower)[0].confidence;
    assert!(c(&small) < c(&large), "{} < {}", c(&small), c(&large));
}

fn sampler_heavy(n: usize) -> Vec<StoredRun> {
    let mut noise = Noise::new(5);
    let specs: Vec<Spec> = (0..n)
        .map(|i| {
            let d = noise.around(20_000.0, 0.1);
            Spec::new(format!("s{i}"), T0 + i as f64 * 600_000.0, d).nodes(vec![
                ran("1", "CheckpointLoaderSimple", d * 0.05),
                ran("2", "KSampler", d * noise.around(0.8, 0.05)),
                ran("3", "VAEDecode", d * 0.1),
            ])
        })
        .collect();
    build(&specs)
}

#[test]
fn a_node_type_that_takes_most_of_the_time_is_named() {
    let runs = sampler_heavy(30);
    let found = of(&recommend(&runs, now(&runs)), Rule::NodeDominates);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.subject.detail.as_deref(), Some("KSampler"));
    let share = f.evidence.figure("share").expect("share");
    assert!((0.75..0.85).contains(&share), "{share}");
    assert!(f.message.starts_with("KSampler takes 80%"), "{}", f.message);
    assert!(f.message.contains("steps"), "{}", f.message);
    assert_eq!(f.evidence.runs.len(), 8);
}

#[test]
fn evenly_spread_node_time_names_no_node() {
    let mut noise = Noise::new(9);
    let specs: Vec<Spec> = (0..40)
        .map(|i| {
            let d = noise.around(20_000.0, 0.1);
            Spec::new(format!("e{i}"), T0 + i as f64 * 600_000.0, d).nodes(vec![
                ran("1", "LoadImage", d * 0.3),
                ran("2", "KSampler", d * 0.35),
                ran("3", "VAEDecode", d * 0.3),
            ])
        })
        .collect();
    let runs = build(&specs);
    assert!(of(&recommend(&runs, now(&runs)), Rule::NodeDominates).is_empty());
    let few = sampler_heavy(4);
    assert!(
        of(&recommend(&few, now(&few)), Rule::NodeDominates).is_empty(),
        "4 runs are too few"
    );
}

#[test]
fn node_share_confidence_grows_with_the_sample() {
    let c = |n| {
        let runs = sampler_heavy(n);
        of(&recommend(&runs, now(&runs)), Rule::NodeDominates)[0].confidence
    };
    assert!(c(6) < c(40), "{} < {}", c(6), c(40));
}

/// `runs` runs of one workflow, every `every`-th an out-of-memory failure.
fn oom_history(runs: usize, every: usize) -> Vec<Spec> {
    let mut noise = Noise::new(13);
    (0..runs)
        .map(|i| {
            let s = Spec::new(
                format!("o{i}"),
                T0 + i as f64 * 600_000.0,
                noise.around(10_000.0, 0.1),
            );
            if i % every == every - 1 {
                s.failed("torch.OutOfMemoryError", "Allocation on device")
            } else {
                s
            }
        })
        .collect()
}

#[test]
fn out_of_memory_failures_on_one_workflow_cluster() {
    let runs = build(&oom_history(30, 4));
    let found = of(&recommend(&runs, now(&runs)), Rule::FailureCluster);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.subject.detail.as_deref(), Some("out-of-memory"));
    assert_eq!(f.evidence.figure("failures"), Some(7.0));
    assert_eq!(f.evidence.figure("runs"), Some(30.0));
    assert_eq!(f.evidence.runs[0].prompt_id, "o27", "latest failure first");
    assert!(f.evidence.runs.iter().all(|r| {
        let i: usize = r.prompt_id[1..].parse().expect("index");
        i % 4 == 3
    }));
    assert!(f.message.contains("out of memory"), "{}", f.message);
    assert!(f.message.contains("--lowvram"), "{}", f.message);
}

struct BatchSizes;
impl RunExtras for BatchSizes {
    fn params(&self, run: &StoredRun) -> Vec<(String, f64)> {
        let failed = run.status == "failed";
        let i: f64 = run.prompt_id[1..].parse().unwrap_or(0.0);
        let batch = if failed { 4.0 + i % 3.0 } else { 1.0 + i % 2.0 };
        vec![("batch_size".into(), batch), ("seed".into(), i)]
    }
}

#[test]
fn a_failure_cluster_names_the_parameter_range_when_parameters_are_known() {
    let runs = build(&oom_history(40, 4));
    let f = of(
        &recommend_with(&runs, &BatchSizes, now(&runs)),
        Rule::FailureCluster,
    )
    .pop()
    .expect("cluster");
    assert!(f.message.contains("batch_size ≥ 4"), "{}", f.message);
    assert_eq!(f.evidence.figure("param_threshold"), Some(4.0));
    assert_eq!(f.evidence.figure("param_succeeded_in_range"), Some(0.0));
    // Without parameters the same cluster is found, without a range.
    let plain = of(&recommend(&runs, now(&runs)), Rule::FailureCluster)
        .pop()
        .expect("cluster");
    assert!(!plain.message.contains('≥'), "{}", plain.message);
}

#[test]
fn scattered_failures_of_different_kinds_do_not_cluster() {
    let mut noise = Noise::new(17);
    let errors = [
        ("torch.OutOfMemoryError", "Allocation on device"),
        ("FileNotFoundError", "No such file: model.safetensors"),
        ("ValueError", "bad width"),
    ];
    let mut specs = Vec::new();
    for (w, class) in ["Alpha", "Beta", "Gamma"].iter().enumerate() {
        for i in 0..40 {
            let s = Spec::new(
                format!("{class}{i}"),
                T0 + (w * 40 + i) as f64 * 60_000.0,
                noise.around(5_000.0, 0.1),
            )
            .nodes(vec![ran("1", class, 100.0), ran("2", "KSampler", 4_000.0)]);
            specs.push(if i == 20 {
                s.failed(errors[w].0, errors[w].1)
            } else {
                s
            });
        }
    }
    let runs = build(&specs);
    assert!(of(&recommend(&runs, now(&runs)), Rule::FailureCluster).is_empty());
}

#[test]
fn failure_cluster_confidence_grows_with_the_failures() {
    let c = |n| {
        let runs = build(&oom_history(n, 3));
        of(&recommend(&runs, now(&runs)), Rule::FailureCluster)[0].confidence
    };
    assert!(c(12) < c(60), "{} < {}", c(12), c(60));
}

/// Back-to-back runs of one workflow; the loader is cached in runs `1..hits` and runs again in
/// the `misses` after.
fn loader_history(hits: usize, misses: usize) -> Vec<StoredRun> {
    let specs: Vec<Spec> = (0..1 + hits + misses)
        .map(|i| {
            let loader = if i == 0 || i > hits {
                ran("1", "CheckpointLoaderSimple", 4_000.0)
            } else {
                cached("1", "CheckpointLoaderSimple")
            };
            Spec::new(format!("c{i}"), T0 + i as f64 * 60_000.0, 9_000.0).nodes(vec![
                loader,
                ran("2", "KSampler", 4_000.0),
                ran("3", "VAEDecode", 900.0),
            ])
        })
        .collect();
    build(&specs)
}

#[test]
fn a_loader_run_again_where_it_used_to_be_cached_is_a_cache_miss() {
    let runs = loader_history(5, 10);
    let found = of(&recommend(&runs, now(&runs)), Rule::CacheMiss);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(f.subject.detail.as_deref(), Some("CheckpointLoaderSimple"));
    assert_eq!(f.subject.server.as_deref(), Some("http://gpu-a:8188"));
    assert_eq!(f.evidence.figure("misses"), Some(10.0));
    assert_eq!(f.evidence.figure("hits"), Some(5.0));
    assert_eq!(f.evidence.figure("spent_ms"), Some(40_000.0));
    assert_eq!(f.evidence.runs[0].prompt_id, "c15");
}

#[test]
fn cached_loaders_and_interleaved_workflows_are_no_cache_miss() {
    let always = loader_history(20, 0);
    assert!(of(&recommend(&always, now(&always)), Rule::CacheMiss).is_empty());
    // Another workflow between every two runs evicts the loader: expected, not a miss.
    let mut specs = Vec::new();
    for i in 0..20 {
        let t = T0 + i as f64 * 120_000.0;
        specs.push(Spec::new(format!("x{i}"), t, 9_000.0));
        specs.push(
            Spec::new(format!("y{i}"), t + 60_000.0, 3_000.0).nodes(vec![
                ran("1", "UpscaleModelLoader", 500.0),
                ran("2", "ImageUpscaleWithModel", 2_000.0),
            ]),
        );
    }
    let runs = build(&specs);
    assert!(of(&recommend(&runs, now(&runs)), Rule::CacheMiss).is_empty());
    // Misses before any hit are no evidence that the server could cache it.
    let never = loader_history(0, 12);
    assert!(of(&recommend(&never, now(&never)), Rule::CacheMiss).is_empty());
}

struct SameGraph;
impl RunExtras for SameGraph {
    fn graph_hash(&self, _run: &StoredRun) -> Option<u64> {
        Some(42)
    }
}

#[test]
fn with_graph_hashes_any_node_run_again_with_unchanged_inputs_is_a_miss() {
    // The sampler is cached on two re-runs, then runs again on unchanged inputs.
    let specs: Vec<Spec> = (0..10)
        .map(|i| {
            let sampler = if (1..3).contains(&i) {
                cached("2", "KSampler")
            } else {
                ran("2", "KSampler", 4_000.0)
            };
            Spec::new(format!("g{i}"), T0 + i as f64 * 60_000.0, 5_000.0)
                .nodes(vec![cached("1", "CheckpointLoaderSimple"), sampler])
        })
        .collect();
    let runs = build(&specs);
    assert!(
        of(&recommend(&runs, now(&runs)), Rule::CacheMiss).is_empty(),
        "no hash: samplers may change"
    );
    let found = of(
        &recommend_with(&runs, &SameGraph, now(&runs)),
        Rule::CacheMiss,
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].subject.detail.as_deref(), Some("KSampler"));
    assert!(
        found[0].message.contains("unchanged inputs"),
        "{}",
        found[0].message
    );
}

#[test]
fn cache_miss_confidence_grows_with_the_sample() {
    let c = |h, m| {
        let runs = loader_history(h, m);
        of(&recommend(&runs, now(&runs)), Rule::CacheMiss)[0].confidence
    };
    assert!(c(2, 4) < c(10, 20), "{} < {}", c(2, 4), c(10, 20));
}
