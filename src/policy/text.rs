//! text reader (stub).
use super::{Block, BlockKind};
/// Split into blocks.
pub(crate) fn blocks(s: &str) -> Vec<Block> {
    s.split("\n\n").map(|p| Block { kind: BlockKind::Paragraph, text: p.to_string() }).collect()
}
