//! How answer types are read: the JSON object is parsed once into a
//! `serde_json::Value`, then each member is taken by its wire name and read
//! through [`Lenient`], which lets WeChat's wire format win over its tables
//! (`"expires_in": "7200"`, an id sent as a number where the docs say
//! string). The generated `answer_object!` types call [`deserialize_object`]
//! and [`field`]: a few lines per type instead of a derived deserializer,
//! which was most of wxa's compile time.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use serde::{Deserialize, forward_to_deserialize_any};
use serde_json::{Map, Value};

/// The members of an answer object, taken one by one.
pub type Members = Map<String, Value>;

/// Reads an answer object from any deserializer: the JSON value, then
/// `read` over its members.
///
/// # Errors
///
/// When the value is not an object, or `read` fails.
pub fn deserialize_object<'de, D, T>(deserializer: D, read: impl FnOnce(Members) -> Result<T, serde_json::Error>) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    match Value::deserialize(deserializer)? {
        Value::Object(members) => read(members).map_err(de::Error::custom),
        other => Err(de::Error::custom(format!("expected an object, found {}", kind(&other)))),
    }
}

/// The member `wire` of an answer object, read leniently; a missing member
/// reads as `null` (an `Option` is `None`), else it is a missing field.
///
/// # Errors
///
/// When the member does not fit `T`, or is missing and `T` needs it; the
/// message starts with the member's name.
pub fn field<T: DeserializeOwned>(members: &mut Members, wire: &'static str) -> Result<T, serde_json::Error> {
    match members.remove(wire) {
        Some(Value::String(text)) if text.trim().is_empty() => blank(text, wire),
        Some(value) => T::deserialize(Lenient(value)).map_err(|e| de::Error::custom(format!("`{wire}`: {e}"))),
        None => T::deserialize(Lenient(Value::Null)).map_err(|_| de::Error::missing_field(wire)),
    }
}

/// A blank member: the text itself where `T` takes text, else absent
/// where `T` may be absent. An XML push writes a member without a value
/// as `<Member></Member>`, and some JSON answers send `""` where they mean
/// no number or no object; a member that must be there stays an error.
fn blank<T: DeserializeOwned>(text: String, wire: &'static str) -> Result<T, serde_json::Error> {
    T::deserialize(Lenient(Value::String(text)))
        .or_else(|error| T::deserialize(Lenient(Value::Null)).map_err(|_| error))
        .map_err(|e| de::Error::custom(format!("`{wire}`: {e}")))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON value read leniently: a string where a number is asked holds
/// the number, a number or boolean where a string is asked is written out,
/// an integral float is an integer. Arrays and objects stay lenient inside.
#[derive(Debug)]
pub struct Lenient(pub Value);

impl Lenient {
    fn integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        match self.0 {
            Value::String(text) => {
                let trimmed = text.trim();
                if let Ok(value) = trimmed.parse::<i64>() {
                    visitor.visit_i64(value)
                } else if let Ok(value) = trimmed.parse::<u64>() {
                    visitor.visit_u64(value)
                } else {
                    Err(de::Error::custom(format!("`{text}` is not an integer")))
                }
            }
            Value::Number(number) if number.is_f64() => {
                let value = number.as_f64().unwrap_or(f64::NAN);
                if value.fract() == 0.0 && value >= i64::MIN as f64 && value <= i64::MAX as f64 {
                    visitor.visit_i64(value as i64)
                } else {
                    Err(de::Error::custom(format!("{value} is not an integer")))
                }
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn float<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        match self.0 {
            Value::String(text) => match text.trim().parse::<f64>() {
                Ok(value) => visitor.visit_f64(value),
                Err(_) => Err(de::Error::custom(format!("`{text}` is not a number"))),
            },
            other => other.deserialize_any(visitor),
        }
    }

    fn string<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, serde_json::Error> {
        match self.0 {
            Value::Number(number) => visitor.visit_string(number.to_string()),
            Value::Bool(flag) => visitor.visit_string(flag.to_string()),
            other => other.deserialize_string(visitor),
        }
    }
}

impl<'de> IntoDeserializer<'de, serde_json::Error> for Lenient {
    type Deserializer = Lenient;

    fn into_deserializer(self) -> Lenient {
        self
    }
}

impl<'de> Deserializer<'de> for Lenient {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Lenient));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Object(members) => {
                let mut map = MapDeserializer::new(members.into_iter().map(|(key, value)| (key, Lenient(value))));
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Lenient(other)),
        }
    }

    /// A lone value where a list is asked is a list of one: WeChat's JSON
    /// pushes send one item bare and several as an array, and XML cannot
    /// tell one repeated element from a single one.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(_) | Value::Null => self.deserialize_any(visitor),
            single => {
                let mut seq = SeqDeserializer::new(std::iter::once(Lenient(single)));
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
        }
    }

    /// `"true"`/`"false"` and `"1"`/`"0"` as text (XML pushes carry no types).
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::String(text) => match text.trim() {
                "true" | "1" => visitor.visit_bool(true),
                "false" | "0" => visitor.visit_bool(false),
                _ => Err(de::Error::custom(format!("`{text}` is not a boolean"))),
            },
            Value::Number(number) if number.as_u64() == Some(1) || number.as_u64() == Some(0) => {
                visitor.visit_bool(number.as_u64() == Some(1))
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.string(visitor)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.integer(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.integer(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.integer(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.integer(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.integer(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.integer(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.integer(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.integer(visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.float(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.float(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct tuple tuple_struct map struct identifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq)]
    struct Sample {
        a: u32,
        b: Option<i64>,
        c: f64,
        d: String,
        e: Option<String>,
        f: Option<f64>,
        g: Vec<String>,
        h: Option<Vec<Inner>>,
    }

    #[derive(Debug, PartialEq)]
    struct Inner {
        id: u64,
    }

    impl<'de> Deserialize<'de> for Inner {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize_object(deserializer, |mut m| Ok(Inner { id: field(&mut m, "id")? }))
        }
    }

    impl<'de> Deserialize<'de> for Sample {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize_object(deserializer, |mut m| {
                Ok(Sample {
                    a: field(&mut m, "a")?,
                    b: field(&mut m, "b")?,
                    c: field(&mut m, "c")?,
                    d: field(&mut m, "d")?,
                    e: field(&mut m, "e")?,
                    f: field(&mut m, "f")?,
                    g: field(&mut m, "g")?,
                    h: field(&mut m, "h")?,
                })
            })
        }
    }

    fn read(text: &str) -> Result<Sample, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn numbers_and_strings_read_both_ways() {
        let sample =
            read(r#"{"a":"7200","b":"-5","c":"1.5","d":12345,"e":null,"f":2,"g":[1,true,"x"],"h":[{"id":"9"}]}"#).expect("lenient");
        let expected = Sample {
            a: 7200,
            b: Some(-5),
            c: 1.5,
            d: "12345".into(),
            e: None,
            f: Some(2.0),
            g: vec!["1".into(), "true".into(), "x".into()],
            h: Some(vec![Inner { id: 9 }]),
        };
        assert_eq!(sample, expected);
        let plain = read(r#"{"a":1,"c":2,"d":"x","g":[],"unknown":{"deep":[1]}}"#).expect("plain");
        assert_eq!(plain, Sample { a: 1, b: None, c: 2.0, d: "x".into(), e: None, f: None, g: vec![], h: None });
        assert_eq!(read(r#"{"a":7200.0,"c":1,"d":"x","g":[]}"#).expect("an integral float").a, 7200);
    }

    #[test]
    fn booleans_read_from_text_and_from_zero_and_one() {
        let read_bool = |value: Value| bool::deserialize(Lenient(value));
        for (value, expected) in [(json!("true"), true), (json!("0"), false), (json!(1), true), (json!(false), false)] {
            assert_eq!(read_bool(value.clone()).expect("a boolean"), expected, "{value}");
        }
        assert!(read_bool(json!("yes")).is_err());
        assert!(read_bool(json!(2)).is_err());
    }

    #[test]
    fn a_lone_value_where_a_list_is_asked_is_a_list_of_one() {
        let sample = read(r#"{"a":1,"c":1,"d":"x","g":"only","h":{"id":3}}"#).expect("one item, bare");
        assert_eq!(sample.g, vec!["only".to_owned()]);
        assert_eq!(sample.h, Some(vec![Inner { id: 3 }]));
        assert!(read(r#"{"a":1,"c":1,"d":"x","g":null}"#).is_err(), "null is not a list");
    }

    #[test]
    fn a_blank_member_is_absent_where_it_may_be_and_text_where_text_goes() {
        // As an XML push's `<B></B>` arrives: the optional number and the
        // optional list of objects are absent, the text stays text.
        let sample = read(r#"{"a":1,"b":"","c":1,"d":"","e":" ","f":"","g":[],"h":""}"#).expect("blank optional members");
        assert_eq!(sample, Sample { a: 1, b: None, c: 1.0, d: String::new(), e: Some(" ".into()), f: None, g: vec![], h: None });
        let message = |text: &str| read(text).expect_err("a needed number is blank").to_string();
        assert!(message(r#"{"a":"","c":1,"d":"x","g":[]}"#).starts_with("`a`: "));
        assert!(message(r#"{"a":1,"c":"  ","d":"x","g":[]}"#).starts_with("`c`: "));
    }

    #[test]
    fn what_does_not_fit_is_an_error_naming_the_member() {
        let message = |text: &str| read(text).expect_err("does not fit").to_string();
        assert!(message(r#"{"a":"-1","c":1,"d":"x","g":[]}"#).starts_with("`a`: "), "out of range for u32");
        assert!(message(r#"{"a":"abc","c":1,"d":"x","g":[]}"#).contains("`abc` is not an integer"));
        assert!(message(r#"{"a":1.5,"c":1,"d":"x","g":[]}"#).contains("1.5 is not an integer"));
        assert!(message(r#"{"a":1,"c":"fast","d":"x","g":[]}"#).contains("`fast` is not a number"));
        assert!(message(r#"{"c":1,"d":"x","g":[]}"#).contains("missing field `a`"));
        assert!(message(r#"{"a":1,"c":1,"d":null,"g":[]}"#).starts_with("`d`: "));
        assert!(message(r#"{"a":1,"c":1,"d":"x","g":[],"h":[{"id":"x"}]}"#).starts_with("`h`: `id`: "));
        assert!(message(r#"[1,2]"#).contains("expected an object, found an array"));
    }
}
