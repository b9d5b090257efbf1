//! Criterion benchmarks: fanout against the idioms users write instead, on
//! the same children, in one group per child kind and bound so the report
//! compares them side by side. `cargo bench --bench compare`.
//!
//! For the project's goals as ratios in one run, see
//! `benches/bench_report.rs`.

mod scenarios;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use scenarios::Kind;

/// Children per measured run: enough to amortise set-up, small enough for
/// criterion's many samples.
const N: u32 = 20_000;

/// Children per measured run woken by another thread: each costs
/// microseconds where the others cost nanoseconds, so fewer, for the
/// samples to fit criterion's measurement time.
const N_THREAD: u32 = 5_000;

fn compare(c: &mut Criterion) {
    // Children on timers are left out: their wall time, which criterion
    // measures, is the timers'. The bench report gives their CPU time
    // (`--kinds timer`).
    for (kind, n) in [
        (Kind::Ready, N),
        (Kind::PendingOnce, N),
        (Kind::Thread, N_THREAD),
    ] {
        kind.prepare();
        for bound in [5usize, 100, 1_000] {
            let mut group = c.benchmark_group(format!("children {}, bound {bound}", kind.name()));
            group.throughput(Throughput::Elements(u64::from(n)));
            group.sample_size(20);
            for way in kind.ways() {
                group.bench_function(BenchmarkId::from_parameter(way.name()), |b| {
                    b.iter(|| way.run(n, bound, kind))
                });
            }
            group.finish();
        }
    }
}

criterion_group!(benches, compare);
criterion_main!(benches);
