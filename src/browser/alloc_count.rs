//! A counting allocator, only with the `alloc-count` feature (never in the shipped page): live
//! heap bytes and live allocations by size, so a long flood shows what keeps growing (issue 22).
//! wasm linear memory never shrinks, so `memory.buffer.byteLength` alone cannot tell a leak
//! from the allocator's high-water mark; these counters can.
//!
//! `alloc_stats()` (exported to JS, `window.wasmBindings.alloc_stats()` on the split build)
//! returns `[live bytes, live allocations, then per size class: live allocations]`; size class
//! `k` holds sizes `8k-7..=8k` up to 4 096 bytes, the last class everything larger.
//!
//! `alloc_trace(class, every)` then reports every `every`-th allocation of that size class to
//! `globalThis.__allocProbe(ptr, size)` and each free of the class to
//! `globalThis.__allocProbeFree(ptr)`: a page script keeps a stack per pointer, and the stacks
//! still held after a flood say who allocated what stays (bench/alloc_probe.mjs `--trace`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = globalThis, js_name = __allocProbe)]
    fn probe_alloc(ptr: u32, size: u32);
    #[wasm_bindgen(js_namespace = globalThis, js_name = __allocProbeFree)]
    fn probe_free(ptr: u32);
}

/// The size class traced (0: none), every how many allocations of it, and the count so far.
static TRACE_CLASS: AtomicUsize = AtomicUsize::new(0);
static TRACE_EVERY: AtomicUsize = AtomicUsize::new(1);
static TRACE_SEEN: AtomicUsize = AtomicUsize::new(0);

/// Starts reporting allocations of size class `class` (see the module doc); 0 stops.
#[wasm_bindgen]
pub fn alloc_trace(class: u32, every: u32) {
    TRACE_EVERY.store(every.max(1) as usize, Relaxed);
    TRACE_CLASS.store(class as usize, Relaxed);
}

fn traced_alloc(ptr: *mut u8, size: usize) {
    let c = TRACE_CLASS.load(Relaxed);
    if c != 0 && class(size) == c {
        let n = TRACE_SEEN.fetch_add(1, Relaxed);
        if n % TRACE_EVERY.load(Relaxed) == 0 {
            probe_alloc(ptr as u32, size as u32);
        }
    }
}

fn traced_free(ptr: *mut u8, size: usize) {
    let c = TRACE_CLASS.load(Relaxed);
    if c != 0 && class(size) == c {
        probe_free(ptr as u32);
    }
}

const CLASSES: usize = 513;
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static LIVE_COUNT: AtomicUsize = AtomicUsize::new(0);
static BY_SIZE: [AtomicUsize; CLASSES] = [const { AtomicUsize::new(0) }; CLASSES];

fn class(size: usize) -> usize {
    size.div_ceil(8).min(CLASSES - 1)
}

fn added(size: usize) {
    LIVE_BYTES.fetch_add(size, Relaxed);
    LIVE_COUNT.fetch_add(1, Relaxed);
    BY_SIZE[class(size)].fetch_add(1, Relaxed);
}

fn removed(size: usize) {
    LIVE_BYTES.fetch_sub(size, Relaxed);
    LIVE_COUNT.fetch_sub(1, Relaxed);
    BY_SIZE[class(size)].fetch_sub(1, Relaxed);
}

pub struct Counting;

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            added(layout.size());
            traced_alloc(p, layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            added(layout.size());
            traced_alloc(p, layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        traced_free(ptr, layout.size());
        unsafe { System.dealloc(ptr, layout) };
        removed(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            traced_free(ptr, layout.size());
            removed(layout.size());
            added(new_size);
            traced_alloc(p, new_size);
        }
        p
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// `[live bytes, live allocations, live allocations per size class…]` (see the module doc).
#[wasm_bindgen]
pub fn alloc_stats() -> Vec<u32> {
    let mut out = vec![
        LIVE_BYTES.load(Relaxed) as u32,
        LIVE_COUNT.load(Relaxed) as u32,
    ];
    out.extend(BY_SIZE.iter().map(|c| c.load(Relaxed) as u32));
    out
}
