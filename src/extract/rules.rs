//! Rule baseline (in progress).
