//! Just enough of the wasm binary format to read a module's function bodies and write it again
//! with a name section of our own: sections, LEB128 numbers, the import section's entries (to
//! count imported functions, which come before the module's own in the function index space).

use std::fmt;

/// Why a module could not be read.
#[derive(Debug)]
pub enum Error {
    Io(std::io::Error),
    NotWasm,
    Truncated,
    UnknownImport(u8),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::NotWasm => f.write_str("not a wasm module (version 1)"),
            Error::Truncated => f.write_str("the module ends inside a section"),
            Error::UnknownImport(kind) => write!(f, "an import of unknown kind {kind}"),
        }
    }
}

const HEADER: [u8; 8] = [0, b'a', b's', b'm', 1, 0, 0, 0];
const CUSTOM: u8 = 0;
const IMPORT: u8 = 2;
const CODE: u8 = 10;

/// A module as its sections, with the function bodies picked out.
pub struct Module<'a> {
    /// Every section but the name section: its id and its contents.
    sections: Vec<(u8, &'a [u8])>,
    imported_functions: u32,
    /// The module's own functions' bodies (locals and code), in index order.
    pub bodies: Vec<&'a [u8]>,
}

/// A reader over bytes that fails instead of panicking at their end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn byte(&mut self) -> Result<u8, Error> {
        let b = *self.bytes.get(self.at).ok_or(Error::Truncated)?;
        self.at += 1;
        Ok(b)
    }

    /// An unsigned LEB128 number (u32 or u64; signed ones are skipped the same way).
    fn leb(&mut self) -> Result<u64, Error> {
        let (mut value, mut shift) = (0u64, 0u32);
        loop {
            let b = self.byte()?;
            if shift < 64 {
                value |= u64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], Error> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.at.checked_add(n))
            .filter(|&end| end <= self.bytes.len())
            .ok_or(Error::Truncated)?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn vec_bytes(&mut self) -> Result<&'a [u8], Error> {
        let n = self.leb()?;
        self.take(n)
    }

    /// A table's or memory's limits: flags, minimum, and the maximum when flag bit 0 says so.
    fn limits(&mut self) -> Result<(), Error> {
        let flags = self.leb()?;
        self.leb()?;
        if flags & 1 != 0 {
            self.leb()?;
        }
        Ok(())
    }

    /// A value or reference type: one byte, or a typed reference with its heap type.
    fn value_type(&mut self) -> Result<(), Error> {
        if matches!(self.byte()?, 0x63 | 0x64) {
            self.leb()?;
        }
        Ok(())
    }
}

pub fn write_leb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn write_section(out: &mut Vec<u8>, id: u8, contents: &[u8]) {
    out.push(id);
    write_leb(out, contents.len() as u64);
    out.extend_from_slice(contents);
}

impl<'a> Module<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Module<'a>, Error> {
        if bytes.get(..8) != Some(&HEADER[..]) {
            return Err(Error::NotWasm);
        }
        let mut r = Reader::new(&bytes[8..]);
        let mut module = Module {
            sections: Vec::new(),
            imported_functions: 0,
            bodies: Vec::new(),
        };
        while !r.done() {
            let id = r.byte()?;
            let contents = r.vec_bytes()?;
            match id {
                CUSTOM if Reader::new(contents).vec_bytes()? == b"name" => continue,
                IMPORT => module.imported_functions = imported_functions(contents)?,
                CODE => module.bodies = bodies(contents)?,
                _ => {}
            }
            module.sections.push((id, contents));
        }
        Ok(module)
    }

    /// The module again, with a name section naming function `f` of its own by `rank[f]`
    /// (imports by their index, ahead of every rank), zero-padded so names sort as numbers.
    pub fn with_order_names(&self, rank: &[usize]) -> Vec<u8> {
        let mut out = HEADER.to_vec();
        for (id, contents) in &self.sections {
            write_section(&mut out, *id, contents);
        }
        let imported = self.imported_functions as usize;
        let mut names = Vec::new();
        write_leb(&mut names, (imported + rank.len()) as u64);
        let keys = (0..imported).chain(rank.iter().map(|r| imported + r));
        for (index, key) in keys.enumerate() {
            write_leb(&mut names, index as u64);
            let key = format!("{key:08}");
            write_leb(&mut names, key.len() as u64);
            names.extend_from_slice(key.as_bytes());
        }
        let mut section = Vec::new();
        write_leb(&mut section, 4);
        section.extend_from_slice(b"name");
        section.push(1); // the function names subsection
        write_leb(&mut section, names.len() as u64);
        section.extend_from_slice(&names);
        write_section(&mut out, CUSTOM, &section);
        out
    }
}

fn imported_functions(contents: &[u8]) -> Result<u32, Error> {
    let mut r = Reader::new(contents);
    let mut functions = 0;
    for _ in 0..r.leb()? {
        r.vec_bytes()?;
        r.vec_bytes()?;
        match r.byte()? {
            0 => {
                r.leb()?;
                functions += 1;
            }
            1 => {
                r.value_type()?;
                r.limits()?;
            }
            2 => r.limits()?,
            3 => {
                r.value_type()?;
                r.byte()?;
            }
            4 => {
                r.byte()?;
                r.leb()?;
            }
            kind => return Err(Error::UnknownImport(kind)),
        }
    }
    Ok(functions)
}

fn bodies(contents: &[u8]) -> Result<Vec<&[u8]>, Error> {
    let mut r = Reader::new(contents);
    (0..r.leb()?).map(|_| r.vec_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with one imported function, two bodies and an old name section.
    fn module() -> Vec<u8> {
        let mut m = HEADER.to_vec();
        let imports = vec![1, 3, b'e', b'n', b'v', 1, b'f', 0, 0];
        write_section(&mut m, IMPORT, &imports);
        write_section(&mut m, CODE, &[2, 2, 0, 0x0b, 3, 0, 0x01, 0x0b]);
        write_section(&mut m, CUSTOM, &[4, b'n', b'a', b'm', b'e', 1, 1, 0]);
        m
    }

    #[test]
    fn reads_the_bodies_and_counts_imported_functions() {
        let bytes = module();
        let m = Module::parse(&bytes).expect("parses");
        assert_eq!(m.imported_functions, 1);
        assert_eq!(m.bodies, vec![&[0, 0x0b][..], &[0, 0x01, 0x0b][..]]);
    }

    #[test]
    fn replaces_the_name_section_with_rank_keys() {
        let bytes = module();
        let out = Module::parse(&bytes)
            .expect("parses")
            .with_order_names(&[1, 0]);
        let again = Module::parse(&out).expect("parses again");
        assert_eq!(again.bodies.len(), 2);
        let text = String::from_utf8_lossy(&out);
        // The import keeps 0; the first body is ranked second (1 + 1), the second first.
        let at = |s: &str| text.find(s).expect(s);
        assert!(at("00000000") < at("00000002") && at("00000002") < at("00000001"));
        assert_eq!(text.matches("name").count(), 1);
    }

    #[test]
    fn a_truncated_module_is_an_error_not_a_panic() {
        let bytes = module();
        for end in 8..bytes.len() {
            let _ = Module::parse(&bytes[..end]);
        }
        assert!(matches!(Module::parse(b"\0asm"), Err(Error::NotWasm)));
    }

    #[test]
    fn leb_round_trips() {
        for n in [0u64, 1, 127, 128, 16_383, 16_384, u32::MAX as u64] {
            let mut out = Vec::new();
            write_leb(&mut out, n);
            assert_eq!(Reader::new(&out).leb().expect("reads"), n);
        }
    }
}
