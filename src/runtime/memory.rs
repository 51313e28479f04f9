//! Giving memory back after an answer ends. A long answer allocates and frees
//! a lot while it streams (its text growing, its open paragraph rendered
//! again each frame); glibc keeps what was freed inside the heap for reuse,
//! so after a 10 MB answer the process stayed ~50 MB above what it held
//! (BENCHMARKS.md, "One token an event"). Asking the allocator to trim
//! returns those pages to the system.

/// Gives every large allocation (an answer's text, the copy the store
/// writes, a window of rendered lines) pages of its own, returned to the
/// system when it is freed, from whichever thread. glibc would otherwise
/// raise that bound to the largest block freed so far (up to 32 MB): after
/// a 10 MB answer, the next big buffers came from the heap and stayed
/// there, 8-15 MB more resident from run to run (BENCHMARKS.md, "A 10 MB
/// answer"). A no-op elsewhere. Called once, at start.
pub fn keep_large_allocations_apart() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a glibc tunable; called before the
    // runtime's threads allocate much, and safe at any time.
    unsafe {
        // Allocations at least this big (bytes) get pages of their own.
        const OWN_PAGES_FROM: i32 = 256 * 1024;
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_PAGES_FROM);
    }
}

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
