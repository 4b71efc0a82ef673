//! `wasm-order IN OUT`: writes IN again as OUT with a name section whose function names sort in
//! the order [`order::by_similarity`] gives; `wasm-opt --reorder-functions-by-name --strip-debug`
//! then moves the functions into that order and drops the names (scripts/wasm-split.sh).
//!
//! Why: gzip only looks 32 kB back and brotli's contexts adapt as they go, so a function
//! compresses best right after functions that look like it. `wasm-opt -Oz` leaves functions in
//! the order of how often they are called (the smallest call operands), and the chunks merged by
//! `scripts/merge-chunks.py` in the order of their pieces. Neither puts alike code together.

mod order;
mod wasm;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: wasm-order IN.wasm OUT.wasm");
        return ExitCode::from(2);
    };
    match run(input, output) {
        Ok(n) => {
            println!("wasm-order: {n} functions ordered by likeness");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wasm-order: {input}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(input: &str, output: &str) -> Result<usize, wasm::Error> {
    let bytes = std::fs::read(input).map_err(wasm::Error::Io)?;
    let module = wasm::Module::parse(&bytes)?;
    let rank = order::by_similarity(&module.bodies);
    std::fs::write(output, module.with_order_names(&rank)).map_err(wasm::Error::Io)?;
    Ok(rank.len())
}
