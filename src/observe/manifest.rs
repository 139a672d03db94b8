//! AndroidManifest.xml reader (stub).
