//! The behaviour every generated error enum and value enum shares, written
//! once. Generated files invoke these through `<crate>::runtime::…!`; the
//! macros name runtime items by `$crate`, so they work from any crate.

/// An endpoint's error enum: one variant per code its spec documents
/// (`Name = code => RetryKind, is_name;`), then `Common` for the shared
/// table named by `common = …;` and `Unknown` for the rest, with `code`,
/// `message`, `rid`, `retry_kind`, `name`, the `is_*` predicates,
/// [`ApiError`](crate::ApiError), `Display` and `Error`.
#[doc(hidden)]
#[macro_export]
macro_rules! __wxa_api_error {
    (
        common = $common:path;
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $retry:ident, $is:ident; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant($crate::runtime::ErrorBody), )*
            /// A code from the shared table (`specs/errors.yaml`).
            Common($common),
            /// A code no spec lists; kept whole.
            Unknown($crate::runtime::ErrorBody),
        }
        impl $name {
            /// The codes the endpoint documents itself.
            pub const CODES: &'static [i64] = &[$($code),*];
            /// The errcode.
            #[inline]
            pub fn code(&self) -> i64 {
                $crate::runtime::ApiError::body(self).code
            }
            /// The errmsg, as WeChat sent it.
            #[inline]
            pub fn message(&self) -> &str {
                &$crate::runtime::ApiError::body(self).message
            }
            /// The request id WeChat put at the end of errmsg, if any.
            #[inline]
            pub fn rid(&self) -> Option<&str> {
                $crate::runtime::ApiError::body(self).rid()
            }
            /// How the client treats this error.
            #[inline]
            pub fn retry_kind(&self) -> $crate::runtime::RetryKind {
                $crate::runtime::ApiError::retry_kind(self)
            }
            /// The variant's name, for logs.
            #[inline]
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => stringify!($variant), )*
                    Self::Common(common) => common.name(),
                    Self::Unknown(_) => "Unknown",
                }
            }
            $(
                #[doc = concat!("Whether this is `", stringify!($variant), "` (", stringify!($code), ").")]
                #[inline]
                pub fn $is(&self) -> bool {
                    matches!(self, Self::$variant(_))
                }
            )*
        }
        impl $crate::runtime::ApiError for $name {
            #[inline]
            fn from_body(body: $crate::runtime::ErrorBody) -> Self {
                match body.code {
                    $( $code => Self::$variant(body), )*
                    _ => match <$common>::from_body(body) {
                        Ok(common) => Self::Common(common),
                        Err(body) => Self::Unknown(body),
                    },
                }
            }
            #[inline]
            fn body(&self) -> &$crate::runtime::ErrorBody {
                match self {
                    $( Self::$variant(body) => body, )*
                    Self::Common(common) => common.body(),
                    Self::Unknown(body) => body,
                }
            }
            #[inline]
            fn retry_kind(&self) -> $crate::runtime::RetryKind {
                match self {
                    $( Self::$variant(_) => $crate::runtime::RetryKind::$retry, )*
                    Self::Common(common) => common.retry_kind(),
                    Self::Unknown(_) => $crate::runtime::RetryKind::None,
                }
            }
            #[inline]
            fn is_documented(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{} ({})", $crate::runtime::ApiError::body(self), self.name())
            }
        }
        impl ::std::error::Error for $name {}
    };
}

/// The shared error table (`specs/errors.yaml`): one variant per code,
/// `Name = code => RetryKind, is_name;`, with `from_body`, `body`, `name`,
/// `retry_kind` and the `is_*` predicates that endpoint enums delegate to.
#[doc(hidden)]
#[macro_export]
macro_rules! __wxa_common_error {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $retry:ident, $is:ident; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant($crate::runtime::ErrorBody), )*
        }
        impl $name {
            /// The variant for `body.code`, or the body back when the table
            /// does not list the code.
            ///
            /// # Errors
            ///
            /// The body itself, when the table does not list its code.
            #[allow(clippy::result_large_err)]
            pub fn from_body(body: $crate::runtime::ErrorBody) -> Result<Self, $crate::runtime::ErrorBody> {
                match body.code {
                    $( $code => Ok(Self::$variant(body)), )*
                    _ => Err(body),
                }
            }
            /// The errcode and errmsg as WeChat sent them.
            pub fn body(&self) -> &$crate::runtime::ErrorBody {
                match self {
                    $( Self::$variant(body) => body, )*
                }
            }
            /// The variant's name, for logs.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => stringify!($variant), )*
                }
            }
            /// How the client treats this code.
            pub fn retry_kind(&self) -> $crate::runtime::RetryKind {
                match self {
                    $( Self::$variant(_) => $crate::runtime::RetryKind::$retry, )*
                }
            }
            $(
                #[doc = concat!("Whether this is `", stringify!($variant), "` (", stringify!($code), ").")]
                #[inline]
                pub fn $is(&self) -> bool {
                    matches!(self, Self::$variant(_))
                }
            )*
        }
    };
}

/// A string enum with an `Other` fallback, so values the spec does not list
/// yet neither fail decoding nor block a caller: `Variant = "wire";`.
#[doc(hidden)]
#[macro_export]
macro_rules! __wxa_string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the specs does not list.
            Other(String),
        }
        impl $name {
            /// The value on the wire.
            #[inline]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(value) => value,
                }
            }
        }
        impl ::std::convert::From<&str> for $name {
            #[inline]
            fn from(value: &str) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl $crate::runtime::serde::Serialize for $name {
            fn serialize<S: $crate::runtime::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> $crate::runtime::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::runtime::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as $crate::runtime::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }
    };
}

/// An integer enum with an `Other` fallback: `Variant = 1;`.
#[doc(hidden)]
#[macro_export]
macro_rules! __wxa_int_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of the specs does not list.
            Other(i64),
        }
        impl $name {
            /// The value on the wire.
            #[inline]
            pub fn value(&self) -> i64 {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Other(value) => *value,
                }
            }
        }
        impl ::std::convert::From<i64> for $name {
            #[inline]
            fn from(value: i64) -> Self {
                match value {
                    $( $wire => Self::$variant, )*
                    other => Self::Other(other),
                }
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}", self.value())
            }
        }
        impl $crate::runtime::serde::Serialize for $name {
            fn serialize<S: $crate::runtime::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.value())
            }
        }
        impl<'de> $crate::runtime::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::runtime::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(Self::from(<i64 as $crate::runtime::serde::Deserialize>::deserialize(deserializer)?))
            }
        }
    };
}

/// The setters of a type's optional fields, inside its `impl` block:
/// `field: Type;` writes `fn field(self, field: Type) -> Self` that sets
/// `Some(field.into())`.
#[doc(hidden)]
#[macro_export]
macro_rules! __wxa_setters {
    ( $( $field:ident: $ty:ty; )* ) => {
        $(
            #[doc = concat!("Sets `", stringify!($field), "` (see the field).")]
            #[inline]
            #[allow(clippy::useless_conversion)]
            pub fn $field(mut self, $field: $ty) -> Self {
                self.$field = Some($field.into());
                self
            }
        )*
    };
}

/// An answer object: the struct as written (`pub name: Type = "wire";` a
/// row, derives and docs as attributes) and its `Deserialize`, which reads
/// each member by its wire name through [`read::field`](crate::runtime::read::field):
/// leniently, unknown members ignored, a missing one `None` or a missing
/// field. Written once here rather than derived per type.
#[doc(hidden)]
#[macro_export]
macro_rules! __wxa_answer_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident: $ty:ty = $wire:literal; )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }
        impl<'de> $crate::runtime::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::runtime::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::runtime::read::deserialize_object(deserializer, |members| {
                    // Borrowed mutably even when the object has no members.
                    let mut members = members;
                    let _ = &mut members;
                    Ok(Self { $( $field: $crate::runtime::read::field(&mut members, $wire)?, )* })
                })
            }
        }
    };
}
