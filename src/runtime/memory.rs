//! Giving memory back after an answer ends. A long answer allocates and frees
//! a lot while it streams (its text growing, its open paragraph rendered
//! again each frame); glibc keeps what was freed inside the heap for reuse,
//! so after a 10 MB answer the process stayed ~50 MB above what it held
//! (BENCHMARKS.md, "One token an event"). Asking the allocator to trim
//! returns those pages to the system.

/// Returns free heap pages to the system (glibc's `malloc_trim`); a no-op
/// elsewhere. Costs a walk of the heap: called once an answer has ended and
/// its last frame is drawn, not per frame.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and only reorganises glibc's own
    // free lists; it is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
