//! Reading a range through a cursor: `openCursor` once, then `continue()` per record, each step
//! awaited through the same [`Request`] (the request fires `onsuccess` again per step).

use super::error::{thrown, IdbError};
use super::request::Request;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbCursorWithValue, IdbRequest};

/// The `(key, value)` pairs of an opened cursor, after skipping `offset` records, at most
/// `limit` of them. The key is the cursor's key: the index key when walking an index.
///
/// It stops without asking for the record after the last one it needs, so a page read leaves
/// no step pending in its transaction.
pub(crate) async fn scan(
    open: Result<IdbRequest, JsValue>,
    limit: Option<u32>,
    offset: Option<u32>,
) -> Result<Vec<(JsValue, JsValue)>, IdbError> {
    let mut request = Request::new(open.map_err(thrown)?);
    let mut step = (&mut request).await?;
    if let Some(skip) = offset.filter(|&n| n > 0) {
        if let Some(cursor) = step.dyn_ref::<IdbCursorWithValue>() {
            cursor.advance(skip).map_err(thrown)?;
            step = (&mut request).await?;
        }
    }
    let limit = limit.map_or(usize::MAX, |n| n as usize);
    let mut rows = Vec::new();
    while rows.len() < limit {
        // `null` once the range is exhausted.
        let Some(cursor) = step.dyn_ref::<IdbCursorWithValue>() else {
            break;
        };
        rows.push((
            cursor.key().map_err(thrown)?,
            cursor.value().map_err(thrown)?,
        ));
        if rows.len() >= limit {
            break;
        }
        cursor.continue_().map_err(thrown)?;
        step = (&mut request).await?;
    }
    Ok(rows)
}
