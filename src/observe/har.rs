//! HAR 1.2 reader (stub).
