//! `str::to_lowercase`, the same text, without std's case tables.
//!
//! The stored search text and the history query are lowercased (`StoredRun::from_run`,
//! `HistoryQuery::search_needle`), so std's mapping was on the live page: 3.2 kB of code and an
//! 11.7 kB table of 1462 character pairs. The same mapping is 184 runs of characters with one
//! offset (`lowercase_tables.rs`); `Σ` becomes `ς` at the end of a word by the `Final_Sigma`
//! rule as std applies it (the cased and case-ignorable characters, 615 ranges). The tests
//! compare every character, alone and around a `Σ`, with std; a toolchain with a newer Unicode
//! fails them until the tables are printed again (see `lowercase_tables.rs`).

use crate::lowercase_tables::{CASED, IGNORABLE, LOWER};

/// `s.to_lowercase()`.
pub fn to_lowercase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        match c {
            'Σ' => out.push(if final_sigma(s, i) { 'ς' } else { 'σ' }),
            // The one character whose lowercase is two.
            'İ' => out.push_str("i\u{307}"),
            _ => out.push(lower(c)),
        }
    }
    out
}

const FIRST: u32 = 0x1f_ffff;

fn lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let code = c as u32;
    let i = LOWER.partition_point(|&(k, _)| k & FIRST <= code);
    let Some(&(k, delta)) = LOWER.get(i.wrapping_sub(1)) else {
        return c;
    };
    let (count, stride) = ((k >> 21 & 0x7f) + 1, (k >> 28) + 1);
    let offset = code - (k & FIRST);
    if offset % stride == 0 && offset / stride < count {
        char::from_u32(code.wrapping_add_signed(delta)).unwrap_or(c)
    } else {
        c
    }
}

fn within(table: &[u32], c: char) -> bool {
    let code = c as u32;
    let i = table.partition_point(|&r| r & FIRST <= code);
    table
        .get(i.wrapping_sub(1))
        .is_some_and(|&r| code - (r & FIRST) <= r >> 21)
}

/// std's `Final_Sigma`: a cased letter before (case-ignorable ones between), none after.
fn final_sigma(s: &str, i: usize) -> bool {
    let before = s.get(..i).unwrap_or("");
    let after = s.get(i + 'Σ'.len_utf8()..).unwrap_or("");
    ignorable_then_cased(&mut before.chars().rev()) && !ignorable_then_cased(&mut after.chars())
}

fn ignorable_then_cased(chars: &mut dyn Iterator<Item = char>) -> bool {
    for c in chars {
        if !within(&IGNORABLE, c) {
            return within(&CASED, c);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(s: &str) {
        assert_eq!(
            to_lowercase(s),
            s.to_lowercase(),
            "{s:?} ({:x?})",
            s.chars().map(u32::from).collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_character_alone_and_around_a_sigma_as_std() {
        let mut buf = String::new();
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            for (a, b) in [("", ""), ("A", "Σ"), ("", "Σ"), ("Σ", ""), ("AΣ", "")] {
                buf.clear();
                buf.push_str(a);
                buf.push(c);
                buf.push_str(b);
                if to_lowercase(&buf) != buf.to_lowercase() {
                    same(&buf);
                }
            }
        }
    }

    #[test]
    fn words_as_std() {
        for s in [
            "ΌΝΟΜΑΣ ΣΑΣ",
            "ΣΑΣ.",
            "Σ",
            "AΣ'Σ",
            "A.Σ",
            "ΑΣ\u{301}",
            "İstanbul KSampler SaveImage ÅNGSTRÖM ǅ",
            "",
        ] {
            same(s);
        }
    }

    /// Prints `lowercase_tables.rs`'s tables from the toolchain's `to_lowercase`.
    #[test]
    #[ignore]
    fn print_tables() {
        let mut runs: Vec<(u32, u32, i32, u32)> = Vec::new();
        for c in (0x80..=0x10ffff).filter_map(char::from_u32) {
            let mut l = c.to_lowercase();
            let (Some(to), None) = (l.next(), l.next()) else {
                continue;
            };
            if c == 'Σ' || to == c {
                continue;
            }
            let (code, delta) = (c as u32, to as i32 - c as i32);
            if let Some((first, n, d, stride)) = runs.last_mut() {
                let gap = code - *first;
                if *d == delta && ((*n == 1 && (gap == 1 || gap == 2)) || gap == *n * *stride) {
                    if *n == 1 {
                        *stride = gap;
                    }
                    *n += 1;
                    continue;
                }
            }
            runs.push((code, 1, delta, 1));
        }
        let (mut ignorable, mut cased) = (Vec::<(u32, u32)>::new(), Vec::<(u32, u32)>::new());
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let final_after = |s: String| s.to_lowercase().ends_with('ς');
            let set = if final_after(format!("{c}Σ")) {
                &mut cased
            } else if final_after(format!("A{c}Σ")) {
                &mut ignorable
            } else {
                continue;
            };
            match set.last_mut() {
                Some(r) if r.1 + 1 == c as u32 => r.1 = c as u32,
                _ => set.push((c as u32, c as u32)),
            }
        }
        let pack = |v: &[(u32, u32)]| -> Vec<String> {
            v.iter()
                .map(|&(a, b)| format!("0x{:08x}", a | (b - a) << 21))
                .collect()
        };
        let lower: Vec<String> = runs
            .iter()
            .map(|&(a, n, d, s)| format!("(0x{:08x}, {d})", a | (n - 1) << 21 | (s - 1) << 28))
            .collect();
        for (name, ty, items) in [
            ("LOWER", "(u32, i32)", lower),
            ("IGNORABLE", "u32", pack(&ignorable)),
            ("CASED", "u32", pack(&cased)),
        ] {
            println!("pub(super) const {name}: [{ty}; {}] = [", items.len());
            println!("    {},\n];\n", items.join(", "));
        }
    }
}
