//! mimalloc's settings for a command that holds a lot of memory for a short time
//! (`nrm link dedupe`), which differ from those that suit the long-running service.
//!
//! Two of mimalloc's defaults cost such a command a quarter of its peak resident memory
//! (`nrm link dedupe` at 200,000 generated people: 95–97 MiB with them, 71–72 MiB without,
//! the same clusters):
//!
//! - it asks the kernel for transparent huge pages on all its memory, so that touching one
//!   byte of a 2 MiB range makes all 2 MiB resident (a run on one record was 27 MiB
//!   resident, 14 MiB without), and
//! - it gives memory freed back to the system 10 ms later, not at once, so that the
//!   buffers one phase frees (a rule's blocks, the vectors a dataset outgrew while loading)
//!   are still resident when the next phase allocates its own.
//!
//! The cost is some CPU: 3–5 % more at 200,000 people, measured on a loaded machine (more
//! TLB misses, and a system call for each large block freed).
//!
//! mimalloc reads its options from the environment once, as the process starts, before
//! `main`: the command sets them by running itself again with them in its environment, in
//! the same process (`exec`), unless they are already there (then it leaves them as they
//! are, whoever set them).

/// The options, as mimalloc reads them from the environment.
const BULK: [(&str, &str); 2] = [("MIMALLOC_ALLOW_THP", "0"), ("MIMALLOC_PURGE_DELAY", "0")];

/// Runs this process again with [`BULK`] in its environment, with the same arguments (it
/// returns only when that fails, and then this process goes on as it is), unless any of them
/// is already set.
pub fn for_bulk_work() {
    if BULK
        .iter()
        .any(|(name, _)| std::env::var_os(name).is_some())
    {
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .envs(BULK)
            .exec();
        tracing::debug!(%error, "could not run again with the allocator's bulk settings");
    }
}
