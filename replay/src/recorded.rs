//! Recorded HTTP answers (`http/*.json`), served as the real server gave them.
//!
//! Bodies are kept as raw JSON text so clients see exactly the recorded bytes, key order included.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Default)]
pub struct Recorded {
    pub system_stats: Option<Box<RawValue>>,
    pub features: Option<Box<RawValue>>,
    /// prompt_id -> the entry from any recorded `/history` answer.
    pub history: HashMap<String, Box<RawValue>>,
    /// class name -> its `/object_info` description.
    pub object_info: HashMap<String, Box<RawValue>>,
}

#[derive(Deserialize)]
struct Answer {
    status: Option<u16>,
    body: Option<Box<RawValue>>,
}

pub fn load(http_dir: &Path) -> Recorded {
    let mut rec = Recorded::default();
    let Ok(entries) = fs::read_dir(http_dir) else {
        eprintln!(
            "warning: no recorded HTTP answers in {}; using built-in ones",
            http_dir.display()
        );
        return rec;
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let answer: Answer = match fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(a) => a,
            Err(e) => {
                eprintln!("warning: {}: skipped ({e})", path.display());
                continue;
            }
        };
        let Some(body) = answer.body.filter(|_| answer.status.unwrap_or(200) == 200) else {
            continue;
        };
        match stem.as_str() {
            "system_stats" => rec.system_stats = Some(body),
            "features" => rec.features = Some(body),
            s if s.starts_with("history") => {
                if let Ok(map) = serde_json::from_str::<HashMap<String, Box<RawValue>>>(body.get())
                {
                    rec.history.extend(map);
                }
            }
            s if s.starts_with("object_info") => {
                if let Ok(map) = serde_json::from_str::<HashMap<String, Box<RawValue>>>(body.get())
                {
                    rec.object_info.extend(map);
                }
            }
            _ => {}
        }
    }
    rec
}
