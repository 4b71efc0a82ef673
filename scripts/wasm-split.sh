#!/usr/bin/env bash
# The split wasm of the release build, into STAGE/pkg with content-hashed names (called by
# scripts/build.sh, which adds the rest of the page). The steps and their order are cargo-leptos'
# `--split` (src/compile/front.rs, src/wasm_split_tools/mod.rs there):
#
#   1. cargo, with the `split` feature (src/app/lazy_pages.rs: the other pages become split points)
#      and `-C link-arg=--emit-relocs` (the relocations tell the splitter which code and data each
#      function uses), only on our crate so the dependencies stay built;
#   2. wasm-split-cli: the main wasm, one wasm per split point, shared chunks, and the JS loader
#      that the main wasm imports its split loaders from (__wasm_split.js); the main wasm's
#      function-table slots only the classes dropped in step 3 reach are emptied; the split
#      point the page loads as it starts (Store) is merged with the shared chunks it waits for,
#      and the pages' split points with theirs (scripts/merge-chunks.py);
#   3. wasm-bindgen on the main wasm only, keeping the exports the chunks link against
#      (--keep-lld-exports: memory, the function table, the stack pointer, shared functions),
#      then short names for its imports, in the wasm and the JS (scripts/shorten-imports.py),
#      and without the classes nothing uses (scripts/drop-exported-classes.py) nor the
#      function-table slots nothing uses (scripts/drop-dead-table-slots.py);
#   4. wasm-opt on every piece, at the level and with the parameters index.html gives Trunk, then
#      its functions ordered so that alike code sits together (tools/wasm-order);
#   5. names: each chunk by its content; the main JS and the loader import each other, so both
#      carry one hash of the pair (and of every chunk name inside the loader).
#
#   scripts/wasm-split.sh STAGE     # STAGE/split (step 2; bench/size.sh reads its main wasm), STAGE/pkg
#
# For measuring only (never for a page that ships): FEATURES=alloc-count adds cargo features
# (a counting allocator, src/browser/alloc_count.rs), KEEP_NAMES=1 keeps the function names
# through wasm-opt (-g), so a CPU profile names wasm frames.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STAGE="${1:?usage: scripts/wasm-split.sh STAGE}"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
NAME=comfy-dashboard
RAW="${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-unknown-unknown/release/$NAME.wasm"
hash16() { cat "$@" | sha256sum | cut -c1-16; }

# std is compiled with this build instead of coming prebuilt, so the size settings reach it too
# (its source is the toolchain's rust-src component and its crates are fetched, both by
# scripts/setup.sh). Three of the settings are unstable: RUSTC_BOOTSTRAP=1 lets the pinned
# stable compiler take them, for this cargo call only; the native, test, clippy and Trunk builds
# stay plain stable (docs/bytes.md, "Eighth round", has what each is worth):
#   -Cpanic=immediate-abort  a panic traps at once ("unreachable" in the console, no message):
#                            no panic hook, no formatting of messages. The release build
#                            aborted on a panic before too; the debug build keeps the messages.
#   -Zlocation-detail=none   no source file names and lines in the wasm (they named only what
#                            panicked, and nothing prints them any more).
#   optimize_for_size        std's smaller variants: sorts, integer printing, float parsing
#                            without its fast path.
# Of std's crates, `core` (formatting, str and slice code) and the allocator stay compiled for
# speed (opt-level 3, as std comes prebuilt); `alloc` and `std` take our "z": 5.1 kB gzip less
# over every file for ~2 % more main-thread CPU at 10 000 msg/s (with only the allocator at 3,
# 3.7 kB less for ~7 % more: docs/bytes.md, "Nineteenth round").
# `--config` adds to .cargo/config.toml's rustflags (erase_components stays).
std_speed=()
for crate in core dlmalloc; do
	std_speed+=(--config "profile.release.package.$crate.opt-level=3")
done
rustflags='"-Zunstable-options", "-Cpanic=immediate-abort", "-Zlocation-detail=none"'
echo "wasm-split: cargo (features split${FEATURES:+,$FEATURES}, --emit-relocs, std from source)"
# --offline as Trunk runs it (Trunk.toml): setup.sh has fetched the crates, std's too.
RUSTC_BOOTSTRAP=1 cargo rustc --offline --release --target wasm32-unknown-unknown --bin "$NAME" \
	--features "split${FEATURES:+,$FEATURES}" \
	-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
	--config "target.wasm32-unknown-unknown.rustflags=[$rustflags]" \
	"${std_speed[@]}" \
	-- -C link-arg=--emit-relocs

rm -rf "$STAGE/split" "$STAGE/bindgen" "$STAGE/pkg"
mkdir -p "$STAGE/split" "$STAGE/bindgen" "$STAGE/pkg"
echo "wasm-split: wasm-split-cli"
wasm-split-cli --target web --out-name "$NAME" "$RAW" "$STAGE/split"
[ -f "$STAGE/split/__wasm_split.js" ] || {
	echo "wasm-split: no __wasm_split.js: the wasm has no split points (built without --features split?)" >&2
	exit 1
}
# The store's split point, which the page loads as it starts, and every shared chunk it waits for
# as one file (binaryen's wasm-merge): one request instead of twelve, -4 kB gzip. Then every
# page's split point (src/app/lazy_pages.rs) with the chunks only pages wait for: one file that
# the first page visited loads for all of them, -30 kB gzip in all (scripts/merge-chunks.py).
python3 "$ROOT/scripts/merge-chunks.py" "$STAGE/split" Store 'Pages=*Route'

# The function-table slots that only wasm-streams' classes reach (their exports go below) are
# emptied, proven on cargo's relocations (the table is exported, so wasm-opt keeps whatever a slot
# holds): wasm-bindgen then leaves out the JS imports only their code called (docs/bytes.md).
python3 "$ROOT/scripts/drop-dead-table-slots.py" "$RAW" "$STAGE/split/$NAME.wasm" \
	IntoUnderlyingByteSource IntoUnderlyingSink IntoUnderlyingSource | tail -1

echo "wasm-split: wasm-bindgen $(wasm-bindgen --version | cut -d' ' -f2)"
wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir "$STAGE/bindgen" \
	--out-name "$NAME" "$STAGE/split/$NAME.wasm"
# Short import names in the wasm and its glue (the bindgen hashes do not compress: -9 kB gzip).
python3 "$ROOT/scripts/shorten-imports.py" "$STAGE/bindgen/${NAME}_bg.wasm" "$STAGE/bindgen/$NAME.js" "./${NAME}_bg.js"
# wasm-streams' exported classes (linked through leptos -> server_fn "browser"; nothing here
# streams): without their exports wasm-opt drops their code (-1.9 kB gzip).
python3 "$ROOT/scripts/drop-exported-classes.py" "$STAGE/bindgen/${NAME}_bg.wasm" "$STAGE/bindgen/$NAME.js" \
	IntoUnderlyingByteSource IntoUnderlyingSink IntoUnderlyingSource
# Again, now that wasm-bindgen's descriptors are gone: the closure shims only they named.
python3 "$ROOT/scripts/drop-dead-table-slots.py" "$RAW" "$STAGE/split/$NAME.wasm" \
	--after-bindgen "$STAGE/bindgen/${NAME}_bg.wasm" IntoUnderlyingByteSource IntoUnderlyingSink IntoUnderlyingSource | tail -1

LEVEL="$(sed -n 's/.*data-wasm-opt="\([^"]*\)".*/\1/p' index.html)"
read -r -a PARAMS <<<"$(sed -n 's/.*data-wasm-opt-params="\([^"]*\)".*/\1/p' index.html)"
if [ "${KEEP_NAMES:-}" = 1 ]; then PARAMS+=(-g); fi
opt() {
	# The splitter keeps a name section binaryen does not know all of; it drops it anyway.
	wasm-opt "-O${LEVEL:-s}" ${PARAMS[@]+"${PARAMS[@]}"} --output "$2" "$1" 2> >(grep -v 'unknown name subsection' >&2)
	# Alike functions together (tools/wasm-order), unless the names are kept for a profile.
	if [ "${KEEP_NAMES:-}" != 1 ]; then
		bash "$ROOT/scripts/order-functions.sh" "$2" "$1"
	fi
}
cargo build --quiet --offline --release -p wasm-order
echo "wasm-split: wasm-opt -O${LEVEL:-s} on each piece"
main_hash=""
opt "$STAGE/bindgen/${NAME}_bg.wasm" "$STAGE/bindgen/opt.wasm"
main_hash="$(hash16 "$STAGE/bindgen/opt.wasm")"
mv "$STAGE/bindgen/opt.wasm" "$STAGE/pkg/$NAME-${main_hash}_bg.wasm"

loader="$STAGE/bindgen/__wasm_split.js"
cp "$STAGE/split/__wasm_split.js" "$loader"
for chunk in "$STAGE"/split/*.wasm; do
	file="$(basename "$chunk")"
	[ "$file" = "$NAME.wasm" ] && continue
	opt "$chunk" "$STAGE/bindgen/$file"
	hashed="${file%.wasm}-$(hash16 "$STAGE/bindgen/$file").wasm"
	mv "$STAGE/bindgen/$file" "$STAGE/pkg/$hashed"
	grep -q "\"./$file\"" "$loader" || {
		echo "wasm-split: the loader does not name ./$file" >&2
		exit 1
	}
	sed -i "s#\"./$file\"#\"./$hashed\"#" "$loader"
done

pair="$(hash16 "$STAGE/bindgen/$NAME.js" "$loader")"
grep -q "from \"./$NAME.js\"" "$loader" && grep -q 'from "./__wasm_split.js"' "$STAGE/bindgen/$NAME.js" || {
	echo "wasm-split: the main JS and the loader do not import each other as expected" >&2
	exit 1
}
# Only the `from` specifiers: the import object's keys stay the module name inside the wasm.
sed "s#from \"./$NAME.js\"#from \"./$NAME-$pair.js\"#" "$loader" >"$STAGE/pkg/__wasm_split-$pair.js"
sed "s#from \"./__wasm_split.js\"#from \"./__wasm_split-$pair.js\"#" "$STAGE/bindgen/$NAME.js" >"$STAGE/pkg/$NAME-$pair.js"
# The glue and the loader minified (terser, from tests/e2e's npm packages, as wasm-opt is): local
# names shortened, comments, whitespace and dead code dropped; exports, import specifiers and
# property names (the keys the wasm imports by) stay. First load -1.7 kB gzip, -1.3 kB brotli
# against the old indentation-and-comments trim. Last, so the checks above read the files as
# wasm-bindgen and the splitter wrote them.
for js in "$STAGE/pkg/$NAME-$pair.js" "$STAGE/pkg/__wasm_split-$pair.js"; do
	terser "$js" --module --compress --mangle --output "$js.min"
	mv "$js.min" "$js"
done
echo "wasm-split: $(find "$STAGE/pkg" -name '*.wasm' | wc -l) wasm files in $STAGE/pkg"
