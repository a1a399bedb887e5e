//! Work shared between threads: a fixed list of jobs, each taken by whichever thread is free
//! next, and the results in the order of the jobs. What a job does and the order of the
//! results depend only on the jobs, never on how many threads there are or which ran what:
//! on a shared machine a thread that is held up leaves its jobs to the others instead of
//! keeping them waiting for the last one.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `work(0)` to `work(jobs - 1)` on up to `threads` threads (this one among them), the
/// results in job order.
pub(crate) fn run<T: Send>(
    jobs: usize,
    threads: usize,
    work: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, jobs.max(1));
    if threads == 1 {
        return (0..jobs).map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let take = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= jobs {
                return done;
            }
            done.push((k, work(k)));
        }
    };
    let mut all: Vec<(usize, T)> = std::thread::scope(|scope| {
        let take = &take;
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(take)).collect();
        let mut all = take();
        for h in others {
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        all
    });
    all.sort_unstable_by_key(|&(k, _)| k);
    all.into_iter().map(|(_, t)| t).collect()
}

/// Sorts `v` on up to two threads: split about a sampled median, the part below it first,
/// then each part sorted on a thread of its own. The order is `sort_unstable`'s (the same for
/// items that are all different, as a record's index beside its key makes them).
pub(crate) fn sort_unstable<T: Ord + Copy + Send>(v: &mut [T], threads: usize) {
    const SAMPLES: usize = 31;
    if threads < 2 || v.len() < 1 << 14 {
        v.sort_unstable();
        return;
    }
    let last = v.len() - 1;
    let mut samples: Vec<T> = (0..SAMPLES).map(|k| v[k * last / (SAMPLES - 1)]).collect();
    samples.sort_unstable();
    let pivot = samples[SAMPLES / 2];
    let mut below = 0;
    for j in 0..v.len() {
        if v[j] < pivot {
            v.swap(below, j);
            below += 1;
        }
    }
    let (low, high) = v.split_at_mut(below);
    std::thread::scope(|scope| {
        scope.spawn(|| low.sort_unstable());
        high.sort_unstable();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_once_and_the_results_are_in_job_order_whatever_the_threads() {
        for threads in [0, 1, 2, 3, 8, 100] {
            let out = run(37, threads, |k| k * k);
            assert_eq!(out, (0..37).map(|k| k * k).collect::<Vec<_>>(), "{threads}");
        }
        assert!(run(0, 4, |k| k).is_empty());
    }

    #[test]
    fn a_sort_on_two_threads_is_the_sort_on_one() {
        let mut rng = crate::model::SplitMix(3);
        for n in [0, 1, 100, 20_000, 70_001] {
            // Many repeats among the keys, some all alike, and a record index beside each.
            let v: Vec<(u32, u32)> = (0..n as u32)
                .map(|i| ((rng.next_u64() % 50) as u32 * u32::from(n != 20_000), i))
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            for threads in [1, 2, 4] {
                let mut w = v.clone();
                sort_unstable(&mut w, threads);
                assert_eq!(w, sorted, "{n} items on {threads} threads");
            }
        }
    }
}
