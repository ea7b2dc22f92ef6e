//! Credentials that must never reach a log line.

use std::fmt;
use std::sync::Arc;

/// A credential (app secret, access token, session key). `Debug` prints
/// `Secret(<redacted>)`, there is no `Display`, and the value is read only
/// through [`Secret::expose`], so it cannot slip into a log or an error by
/// accident. Cloning is cheap (the value is shared), and the value is
/// overwritten with zeros when its last clone is dropped.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(Arc<Wiped>);

/// The text of a secret, zeroed on drop.
#[derive(PartialEq, Eq, Hash)]
struct Wiped(Box<str>);

impl Drop for Wiped {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut *self.0);
    }
}

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(Arc::new(Wiped(value.into().into_boxed_str())))
    }

    /// The value itself. Call this only where the value must go on the wire.
    pub fn expose(&self) -> &str {
        &self.0.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret::new(value)
    }
}

// No `Serialize` impl: serializing a response to log it must not write the
// session key. Generated types pick one of these per field instead.

/// For request fields: the value goes on the wire.
pub fn serialize_exposed<S: serde::Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

/// For optional request fields.
pub fn serialize_exposed_option<S: serde::Serializer>(secret: &Option<Secret>, serializer: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_str(secret.expose()),
        None => serializer.serialize_none(),
    }
}

/// What response types write for a secret when serialized (to log or cache
/// them): never the value.
pub(crate) const REDACTED: &str = "<redacted>";

/// For response fields.
pub fn serialize_redacted<S: serde::Serializer>(_: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(REDACTED)
}

/// For optional response fields.
pub fn serialize_redacted_option<S: serde::Serializer>(secret: &Option<Secret>, serializer: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => serializer.serialize_str(REDACTED),
        None => serializer.serialize_none(),
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        String::deserialize(deserializer).map(Secret::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let secret = Secret::from("s3cr3t-value");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.expose(), "s3cr3t-value");
    }
}
