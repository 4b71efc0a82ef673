//! The search texts the history benchmarks store for run `i` (`bench/history.sh`'s runs), grown
//! to about `len` bytes as a real run's is (a prompt id, more node types, an output file name
//! and, for some, an error: `StoredRun::from_run`). Shared by the native arena benchmark
//! (`text_arena_bench.rs`) and the browser's read benchmark (`tests/search_read_bench.rs`).

const NODES: [&str; 12] = [
    "checkpointloadersimple",
    "cliptextencode",
    "emptylatentimage",
    "ksampler",
    "vaedecode",
    "saveimage",
    "loraloader",
    "controlnetapplyadvanced",
    "upscalemodelloader",
    "imageupscalewithmodel",
    "vaeencode",
    "previewimage",
];

pub fn text(i: usize, len: usize) -> String {
    let workflow = ["txt2img", "upscale", "video", "inpaint", "controlnet"][i % 5];
    let mut t = format!("bench-{i:06} checkpointloader ksampler vaedecode saveimage {workflow}");
    let mut n = i;
    while t.len() + 24 < len {
        n = n.wrapping_mul(0x9E37_79B9).wrapping_add(7);
        t.push(' ');
        t.push_str(NODES[n % NODES.len()]);
        if n % 7 == 0 {
            t.push_str(&format!(" comfyui_{:05}_.png", n % 100_000));
        }
    }
    if i % 20 == 0 && t.len() < len {
        t.push_str(" outofmemoryerror");
    }
    t
}
