//! Store (in progress).
