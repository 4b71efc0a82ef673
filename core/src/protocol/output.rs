//! A node's UI output (`executed.output`, or `outputs[node]` in history) as a list of artifacts.
//!
//! ComfyUI has no fixed schema here: SaveImage uses `images`, video nodes use `images` with
//! `animated: [true]` or `gifs`/`videos` with a `format`, SaveAudio uses `audio`, and text nodes
//! use `text`. So the kind is decided from the file's extension first and the key second.

use super::lenient;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactKind {
    Image,
    Video,
    Audio,
    Text,
    Other,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::Image => "image",
            ArtifactKind::Video => "video",
            ArtifactKind::Audio => "audio",
            ArtifactKind::Text => "text",
            ArtifactKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub node_id: String,
    pub kind: ArtifactKind,
    /// Empty for text outputs.
    pub filename: String,
    pub subfolder: String,
    /// ComfyUI's folder type: `output`, `temp` or `input`.
    pub folder_type: String,
    /// MIME type when the node said so (video nodes do), for the `<video>` source.
    pub format: Option<String>,
    /// Text outputs carry their text here.
    pub text: Option<String>,
    /// Animated images (gif, animated webp) are still images but shown as such.
    pub animated: bool,
}

/// Reads every artifact of one node's output. Entries that are not understood are skipped, not
/// errors: one odd extension must not hide the images of the rest.
pub fn artifacts_of(node_id: &str, output: &Map<String, Value>) -> Vec<Artifact> {
    let animated = output
        .get("animated")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_bool() == Some(true)));
    let mut found = Vec::new();
    for (key, value) in output {
        if key == "animated" {
            continue;
        }
        let Some(items) = value.as_array() else {
            continue;
        };
        for item in items {
            match item {
                Value::Object(file) => {
                    if let Some(a) = file_artifact(node_id, key, file, animated) {
                        found.push(a);
                    }
                }
                Value::String(s) if key == "text" => found.push(text_artifact(node_id, s)),
                other if key == "text" => {
                    found.push(text_artifact(node_id, &crate::json::to_string(other)));
                }
                _ => {}
            }
        }
    }
    found
}

fn text_artifact(node_id: &str, text: &str) -> Artifact {
    Artifact {
        node_id: node_id.to_owned(),
        kind: ArtifactKind::Text,
        filename: String::new(),
        subfolder: String::new(),
        folder_type: String::new(),
        format: None,
        text: Some(text.to_owned()),
        animated: false,
    }
}

fn file_artifact(
    node_id: &str,
    key: &str,
    file: &Map<String, Value>,
    animated: bool,
) -> Option<Artifact> {
    let filename = file.get("filename").and_then(lenient::id_of)?;
    if filename.is_empty() {
        return None;
    }
    let text_field = |name: &str| file.get(name).and_then(Value::as_str).map(str::to_owned);
    let format = text_field("format");
    let kind = kind_of(&filename, key, format.as_deref());
    let ext = extension(&filename);
    Some(Artifact {
        node_id: node_id.to_owned(),
        kind,
        animated: kind == ArtifactKind::Image && (animated || ext == "gif" || key == "gifs"),
        subfolder: text_field("subfolder").unwrap_or_default(),
        folder_type: text_field("type").unwrap_or_else(|| "output".to_owned()),
        format,
        text: None,
        filename,
    })
}

pub(crate) fn extension(filename: &str) -> String {
    filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default()
}

fn kind_of(filename: &str, key: &str, format: Option<&str>) -> ArtifactKind {
    match extension(filename).as_str() {
        "png" | "jpg" | "jpeg" | "webp" | "gif" | "bmp" | "avif" | "apng" => {
            return ArtifactKind::Image
        }
        "mp4" | "webm" | "mov" | "mkv" | "m4v" => return ArtifactKind::Video,
        "wav" | "mp3" | "flac" | "ogg" | "opus" | "m4a" | "aac" => return ArtifactKind::Audio,
        "txt" | "json" | "md" => return ArtifactKind::Text,
        _ => {}
    }
    if let Some(major) = format.and_then(|f| f.split('/').next()) {
        match major {
            "video" => return ArtifactKind::Video,
            "image" => return ArtifactKind::Image,
            "audio" => return ArtifactKind::Audio,
            _ => {}
        }
    }
    match key {
        "images" | "gifs" => ArtifactKind::Image,
        "videos" | "video" => ArtifactKind::Video,
        "audio" | "audios" => ArtifactKind::Audio,
        _ => ArtifactKind::Other,
    }
}
