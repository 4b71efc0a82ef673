use super::{DecodeError, ImageMime, Preview, ProgressText, ServerMessage};
use serde_json::Value;

const PREVIEW_IMAGE: u32 = 1;
const TEXT: u32 = 3;
const PREVIEW_IMAGE_WITH_METADATA: u32 = 4;

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Decodes one binary frame: a big-endian u32 event type, then an event-specific layout.
pub fn decode_binary(frame: &[u8]) -> Result<ServerMessage, DecodeError> {
    let event = u32_at(frame, 0).ok_or(DecodeError::BinaryTooShort { len: frame.len() })?;
    let rest = &frame[4..];
    match event {
        PREVIEW_IMAGE => {
            let image_type =
                u32_at(rest, 0).ok_or(DecodeError::BinaryTooShort { len: frame.len() })?;
            // The official frontend treats anything but 2 as JPEG; so do we.
            let mime = if image_type == 2 {
                ImageMime::Png
            } else {
                ImageMime::Jpeg
            };
            Ok(ServerMessage::Preview(Preview {
                mime,
                bytes: rest[4..].to_vec(),
                node_id: None,
                prompt_id: None,
                display_node_id: None,
            }))
        }
        TEXT => {
            let len =
                u32_at(rest, 0).ok_or(DecodeError::BinaryTooShort { len: frame.len() })? as usize;
            let body = &rest[4..];
            let node = body.get(..len).ok_or(DecodeError::BinaryLength {
                what: "node id",
                declared: len,
                available: body.len(),
            })?;
            let node_id = std::str::from_utf8(node).map_err(|_| DecodeError::BadUtf8)?;
            let text = String::from_utf8_lossy(&body[len..]).into_owned();
            Ok(ServerMessage::ProgressText(ProgressText {
                node_id: node_id.to_owned(),
                text,
            }))
        }
        PREVIEW_IMAGE_WITH_METADATA => {
            let len =
                u32_at(rest, 0).ok_or(DecodeError::BinaryTooShort { len: frame.len() })? as usize;
            let body = &rest[4..];
            let meta = body.get(..len).ok_or(DecodeError::BinaryLength {
                what: "preview metadata",
                declared: len,
                available: body.len(),
            })?;
            // Through `str`: the one JSON reader works on text.
            let meta: Value = std::str::from_utf8(meta)
                .map_err(|e| e.to_string())
                .and_then(|text| crate::json::parse(text).map_err(|e| e.to_string()))
                .map_err(DecodeError::BadPreviewMetadata)?;
            if !meta.is_object() {
                return Err(DecodeError::BadPreviewMetadata("not an object".into()));
            }
            let field = |name: &str| meta.get(name).and_then(super::lenient::id_of);
            let mime = match meta.get("image_type").and_then(Value::as_str) {
                Some("image/png") => ImageMime::Png,
                Some("image/webp") => ImageMime::Webp,
                _ => ImageMime::Jpeg,
            };
            Ok(ServerMessage::Preview(Preview {
                mime,
                bytes: body[len..].to_vec(),
                node_id: field("node_id"),
                prompt_id: field("prompt_id"),
                display_node_id: field("display_node_id"),
            }))
        }
        other => Ok(ServerMessage::Unknown {
            kind: format!("binary:{other}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_metadata(meta: &[u8]) -> Vec<u8> {
        let mut frame = PREVIEW_IMAGE_WITH_METADATA.to_be_bytes().to_vec();
        frame.extend((meta.len() as u32).to_be_bytes());
        frame.extend(meta);
        frame.extend([0xff, 0xd8]);
        frame
    }

    #[test]
    fn metadata_that_is_not_a_json_object_is_named_as_such() {
        for meta in [&b"{\"node_id\": \"\xff\"}"[..], b"{", b"[1]", b"\xc3("] {
            assert!(
                matches!(
                    decode_binary(&with_metadata(meta)),
                    Err(DecodeError::BadPreviewMetadata(_))
                ),
                "{meta:?}"
            );
        }
        let Ok(ServerMessage::Preview(p)) = decode_binary(&with_metadata(br#"{"node_id": 4}"#))
        else {
            panic!("a preview with metadata did not decode");
        };
        assert_eq!(p.node_id.as_deref(), Some("4"));
        assert_eq!(p.bytes, [0xff, 0xd8]);
    }
}
