//! Renderers of diagnostics, one per output format.
