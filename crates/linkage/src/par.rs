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
}
