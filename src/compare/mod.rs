//! Compare (in progress).
