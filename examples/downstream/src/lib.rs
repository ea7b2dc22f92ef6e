//! Placeholder
#![warn(missing_docs)]
/// Generated.
pub mod api {
    include!(concat!(env!("OUT_DIR"), "/api/mod.rs"));
}
pub use api::PluginApi;
