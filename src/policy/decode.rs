//! Byte decoding (helper replaces this stub).
/// Decode policy bytes to text.
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|e| e.to_string())
}
