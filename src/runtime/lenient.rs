//! Tolerant readers for response fields. WeChat sometimes sends a number
//! as a string (`"expires_in": "7200"`) or an id as a number where its docs
//! say string; generated response types read scalars through these, so the
//! wire format wins over the table and no call fails over it.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};

struct IntVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i64> + TryFrom<u64> + FromStr> Visitor<'_> for IntVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, or a string holding one")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        if v.fract() == 0.0 && v >= i64::MIN as f64 && v <= i64::MAX as f64 {
            self.visit_i64(v as i64)
        } else {
            Err(E::custom(format!("{v} is not an integer")))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.trim().parse().map_err(|_| E::custom(format!("`{v}` is not an integer")))
    }
}

struct FloatVisitor;

impl Visitor<'_> for FloatVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a string holding one")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        v.trim().parse().map_err(|_| E::custom(format!("`{v}` is not a number")))
    }
}

struct StringVisitor;

impl Visitor<'_> for StringVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, or a number or boolean to read as one")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Reads `null` as `None`, anything else with `inner` (which may still
/// find nothing there, as a blank string where a number goes).
struct OptionVisitor<F>(F);

impl<'de, T, F: FnOnce(OptionDeserializer<'de>) -> Result<Option<T>, String>> Visitor<'de> for OptionVisitor<F> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        (self.0)(OptionDeserializer(value, PhantomData)).map_err(de::Error::custom)
    }
}

use serde::Deserialize;

/// The inner value of an option, buffered.
struct OptionDeserializer<'de>(serde_json::Value, PhantomData<&'de ()>);

impl OptionDeserializer<'_> {
    fn read<T>(self, read: impl FnOnce(serde_json::Value) -> Result<T, serde_json::Error>) -> Result<T, String> {
        read(self.0).map_err(|e| e.to_string())
    }

    /// An optional number read as absent when it is a blank string: an
    /// XML push writes a member without a value as `<Member></Member>`,
    /// and some JSON answers write `""` where they mean no number.
    fn read_number<T>(self, read: impl FnOnce(serde_json::Value) -> Result<T, serde_json::Error>) -> Result<Option<T>, String> {
        match &self.0 {
            serde_json::Value::String(text) if text.trim().is_empty() => Ok(None),
            _ => self.read(read).map(Some),
        }
    }
}

/// An integer, also from a string.
#[allow(dead_code, reason = "called by generated code when a spec needs it")]
pub fn int<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64> + FromStr>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_any(IntVisitor(PhantomData))
}

/// An optional integer, also from a string.
#[allow(dead_code, reason = "called by generated code when a spec needs it")]
pub fn option_int<'de, D: Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64> + FromStr>(deserializer: D) -> Result<Option<T>, D::Error> {
    deserializer
        .deserialize_option(OptionVisitor(|d: OptionDeserializer<'de>| d.read_number(|v| v.deserialize_any(IntVisitor(PhantomData)))))
}

/// A number, also from a string.
#[allow(dead_code, reason = "called by generated code when a spec needs it")]
pub fn float<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    deserializer.deserialize_any(FloatVisitor)
}

/// An optional number, also from a string.
#[allow(dead_code, reason = "called by generated code when a spec needs it")]
pub fn option_float<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    deserializer.deserialize_option(OptionVisitor(|d: OptionDeserializer<'de>| d.read_number(|v| v.deserialize_any(FloatVisitor))))
}

/// A string, also from a number or boolean.
#[allow(dead_code, reason = "called by generated code when a spec needs it")]
pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    deserializer.deserialize_any(StringVisitor)
}

/// An optional string, also from a number or boolean.
#[allow(dead_code, reason = "called by generated code when a spec needs it")]
pub fn option_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_option(OptionVisitor(|d: OptionDeserializer<'de>| d.read(|v| v.deserialize_any(StringVisitor)).map(Some)))
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Sample {
        #[serde(deserialize_with = "super::int")]
        a: u32,
        #[serde(default, deserialize_with = "super::option_int")]
        b: Option<i64>,
        #[serde(deserialize_with = "super::float")]
        c: f64,
        #[serde(deserialize_with = "super::string")]
        d: String,
        #[serde(default, deserialize_with = "super::option_string")]
        e: Option<String>,
        #[serde(default, deserialize_with = "super::option_float")]
        f: Option<f64>,
    }

    #[test]
    fn numbers_and_strings_read_both_ways() {
        let sample: Sample = serde_json::from_str(r#"{"a":"7200","b":"-5","c":"1.5","d":12345,"e":null,"f":2}"#).expect("lenient");
        assert_eq!(sample, Sample { a: 7200, b: Some(-5), c: 1.5, d: "12345".into(), e: None, f: Some(2.0) });
        let plain: Sample = serde_json::from_str(r#"{"a":1,"c":2,"d":"x"}"#).expect("plain");
        assert_eq!(plain, Sample { a: 1, b: None, c: 2.0, d: "x".into(), e: None, f: None });
        assert!(serde_json::from_str::<Sample>(r#"{"a":"-1","c":1,"d":"x"}"#).is_err(), "out of range for u32");
        assert!(serde_json::from_str::<Sample>(r#"{"a":"abc","c":1,"d":"x"}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"a":1.5,"c":1,"d":"x"}"#).is_err());
    }

    #[test]
    fn a_blank_optional_number_is_absent_and_blank_text_stays_text() {
        let sample: Sample = serde_json::from_str(r#"{"a":1,"b":"","c":1,"d":"","e":"","f":" "}"#).expect("blank members");
        assert_eq!(sample, Sample { a: 1, b: None, c: 1.0, d: String::new(), e: Some(String::new()), f: None });
        assert!(serde_json::from_str::<Sample>(r#"{"a":"","c":1,"d":"x"}"#).is_err(), "a needed number");
        assert!(serde_json::from_str::<Sample>(r#"{"a":1,"b":"x","c":1,"d":"x"}"#).is_err(), "text that is not blank");
    }
}
