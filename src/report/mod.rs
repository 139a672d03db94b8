//! Report (in progress).
