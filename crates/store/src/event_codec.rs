//! How an event body is stored in `case_events`.
//!
//! Since migration 0016 an event is written to `packed`: one format byte, then its JSON as an
//! LZ4 block (size first) compressed against a preset dictionary of typical events
//! (`event_dictionary_v1.json`), with `body` left empty. Events are small and alike, so the
//! dictionary is what makes them compress: field names, enum values and the rulebook's
//! wording are found in it instead of being spelt out in every row. Rows written before keep
//! their JSON in `body` with `packed` NULL, and read as before.
//!
//! A format, and the dictionary it names, never changes once written: a new dictionary is a
//! new format byte, and the reader keeps every old one. [`pack`] decodes what it made before
//! handing it over, so a body is never written in a form [`read`] cannot read back.

use nrm_domain::CaseEvent;

use crate::StoreError;

/// LZ4 block, size-prepended, against [`DICTIONARY_V1`].
const LZ4_DICTIONARY_V1: u8 = 1;

/// The preset dictionary of format 1. Never edit: rows depend on it byte for byte.
const DICTIONARY_V1: &[u8] = include_bytes!("event_dictionary_v1.json");

/// The largest event JSON a packed body may claim to hold (a guard against a corrupt length).
const MAX_EVENT_JSON: usize = 1 << 20;

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("a packed event {what}"))
}

/// The packed form of `event`, checked to read back as the same event.
pub(crate) fn pack(event: &CaseEvent) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(event)
        .map_err(|_| StoreError::Corrupt("an event did not serialise".to_owned()))?;
    let mut packed = Vec::with_capacity(json.len() / 2 + 8);
    packed.push(LZ4_DICTIONARY_V1);
    packed.extend(lz4_flex::block::compress_prepend_size_with_dict(
        &json,
        DICTIONARY_V1,
    ));
    if unpack_json(&packed)? != json {
        return Err(corrupt("does not read back as written"));
    }
    Ok(packed)
}

/// The JSON inside a packed body.
fn unpack_json(packed: &[u8]) -> Result<Vec<u8>, StoreError> {
    match packed.split_first() {
        Some((&LZ4_DICTIONARY_V1, block)) => {
            let size = block
                .get(..4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
                .ok_or_else(|| corrupt("is cut short"))?;
            if usize::try_from(size).map_or(true, |s| s > MAX_EVENT_JSON) {
                return Err(corrupt("claims an impossible size"));
            }
            lz4_flex::block::decompress_size_prepended_with_dict(block, DICTIONARY_V1)
                .map_err(|_| corrupt("does not decompress"))
        }
        Some((format, _)) => Err(corrupt(&format!("has an unknown format {format}"))),
        None => Err(corrupt("is empty")),
    }
}

/// Reads a stored event: the packed form when there is one, else the JSON body.
pub(crate) fn read(body: &str, packed: Option<&[u8]>) -> Result<CaseEvent, StoreError> {
    match packed {
        Some(packed) => {
            serde_json::from_slice(&unpack_json(packed)?).map_err(|_| corrupt("does not parse"))
        }
        None => serde_json::from_str(body)
            .map_err(|_| StoreError::Corrupt("an event does not parse".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_packed_bodies_are_refused_not_misread() {
        assert!(matches!(read("", Some(&[])), Err(StoreError::Corrupt(_))));
        assert!(matches!(
            read("", Some(&[9, 1, 2])),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            read("", Some(&[1, 0xff])),
            Err(StoreError::Corrupt(_))
        ));
        // A length of 4 GiB is refused before anything is allocated.
        assert!(matches!(
            read("", Some(&[1, 0xff, 0xff, 0xff, 0xff, 0])),
            Err(StoreError::Corrupt(_))
        ));
    }
}
