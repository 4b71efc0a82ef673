//! The image bytes `/view` answers with.

use crate::trace::{Payload, Scenario};

const PNG_MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// A real PNG preview from the traces (binary event 1 with image type 2, or event 4 whose
/// metadata says image/png) is preferred: it is what the server actually produced.
pub fn preview_png(scenarios: &[Scenario]) -> Option<Vec<u8>> {
    scenarios
        .iter()
        .flat_map(|s| s.full.iter())
        .find_map(|f| match &f.payload {
            Payload::Binary(b) => png_in_frame(b),
            Payload::Text { .. } => None,
        })
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

fn png_in_frame(b: &[u8]) -> Option<Vec<u8>> {
    let image = match u32_at(b, 0)? {
        1 if u32_at(b, 4)? == 2 => b.get(8..)?,
        4 => {
            let meta_len = usize::try_from(u32_at(b, 4)?).ok()?;
            b.get(8usize.checked_add(meta_len)?..)?
        }
        _ => return None,
    };
    image.starts_with(&PNG_MAGIC).then(|| image.to_vec())
}

/// An 8x8 orange PNG encoded here (stored deflate blocks), for traces without a PNG preview.
pub fn tiny_png() -> Vec<u8> {
    const SIDE: u32 = 8;
    let mut row = vec![0u8]; // filter: none
    row.extend([0xf0, 0x80, 0x20].repeat(SIDE as usize));
    let raw = row.repeat(SIDE as usize);
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, no interlace
    let mut out = PNG_MAGIC.to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(0xffff).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_spec_check_value() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn tiny_png_has_magic_and_ends_with_iend() {
        let png = tiny_png();
        assert!(png.starts_with(&PNG_MAGIC));
        assert!(png.ends_with(&[0xae, 0x42, 0x60, 0x82]));
    }
}
