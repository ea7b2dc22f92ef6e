//! XML pushes read into the JSON value the same message gives in JSON, so
//! one set of event types serves both formats, and JSON written as WeChat's
//! XML (for replies and for the fake server's pushes).
//!
//! An element with child elements is an object (a repeated child is an
//! array), any other element is its text (CDATA and entities resolved).
//! Numbers stay text: event types read them leniently.

use quick_xml::events::Event as XmlEvent;
use serde_json::{Map, Value};

/// How deep elements may nest; WeChat's pushes use three levels.
const MAX_DEPTH: usize = 32;

/// Why a text is not an XML push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlError(pub String);

struct Frame {
    name: String,
    members: Map<String, Value>,
    text: String,
    has_children: bool,
}

impl Frame {
    fn into_value(self) -> Value {
        if self.has_children { Value::Object(self.members) } else { Value::String(self.text) }
    }
}

/// The members of the root element (`<xml>`).
pub(crate) fn read(text: &str) -> Result<Map<String, Value>, XmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Map<String, Value>> = None;
    loop {
        let event = reader.read_event().map_err(|e| XmlError(format!("not well-formed XML: {e}")))?;
        match event {
            XmlEvent::Start(_) | XmlEvent::Empty(_) if root.is_some() => {
                return Err(XmlError("content after the root element".to_owned()));
            }
            XmlEvent::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError(format!("elements nest deeper than {MAX_DEPTH}")));
                }
                stack.push(frame(start.name().as_ref())?);
            }
            XmlEvent::Empty(start) => {
                let done = frame(start.name().as_ref())?;
                close(&mut stack, &mut root, done)?;
            }
            XmlEvent::End(_) => {
                let done = stack.pop().ok_or_else(|| XmlError("an end tag without a start".to_owned()))?;
                close(&mut stack, &mut root, done)?;
            }
            XmlEvent::Text(content) => {
                let content = content.xml10_content().map_err(|e| XmlError(format!("bad text: {e}")))?;
                append_text(&mut stack, &content)?;
            }
            XmlEvent::CData(content) => {
                let content = content.decode().map_err(|e| XmlError(format!("bad CDATA: {e}")))?;
                append_text(&mut stack, &content)?;
            }
            XmlEvent::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = reference.decode().map_err(|e| XmlError(format!("bad reference: {e}")))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError(format!("unknown entity `&{name};`")))?
                            .to_owned()
                    }
                    Err(e) => return Err(XmlError(format!("bad character reference: {e}"))),
                };
                append_text(&mut stack, &resolved)?;
            }
            XmlEvent::DocType(_) => return Err(XmlError("a document type declaration is not expected in a push".to_owned())),
            XmlEvent::Comment(_) | XmlEvent::Decl(_) | XmlEvent::PI(_) => {}
            XmlEvent::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError("the XML ends inside an element".to_owned()));
    }
    root.ok_or_else(|| XmlError("no root element".to_owned()))
}

fn frame(name: &[u8]) -> Result<Frame, XmlError> {
    let name = std::str::from_utf8(name).map_err(|_| XmlError("an element name is not UTF-8".to_owned()))?;
    Ok(Frame { name: name.to_owned(), members: Map::new(), text: String::new(), has_children: false })
}

fn append_text(stack: &mut [Frame], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(frame) => {
            frame.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError("text outside the root element".to_owned())),
    }
}

/// Puts a finished element into its parent, or makes it the root.
fn close(stack: &mut [Frame], root: &mut Option<Map<String, Value>>, done: Frame) -> Result<(), XmlError> {
    let Some(parent) = stack.last_mut() else {
        if !done.has_children && !done.text.trim().is_empty() {
            return Err(XmlError("the root element holds text, not members".to_owned()));
        }
        *root = Some(done.members);
        return Ok(());
    };
    parent.has_children = true;
    let name = done.name.clone();
    let value = done.into_value();
    match parent.members.get_mut(&name) {
        None => {
            parent.members.insert(name, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(first) => {
            let first = first.take();
            parent.members.insert(name, Value::Array(vec![first, value]));
        }
    }
    Ok(())
}

/// A JSON object written as WeChat's XML: `<xml>`, strings in CDATA,
/// numbers and booleans bare, arrays as repeated elements, nulls left out.
pub(crate) fn write(members: &Map<String, Value>) -> String {
    let mut out = String::from("<xml>");
    write_members(members, &mut out);
    out.push_str("</xml>");
    out
}

fn write_members(members: &Map<String, Value>, out: &mut String) {
    for (name, value) in members {
        write_element(name, value, out);
    }
}

fn write_element(name: &str, value: &Value, out: &mut String) {
    match value {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|item| write_element(name, item, out)),
        Value::Object(members) => {
            out.push_str(&format!("<{name}>"));
            write_members(members, out);
            out.push_str(&format!("</{name}>"));
        }
        Value::String(text) => {
            // `]]>` cannot stand inside CDATA: end the section and start another.
            out.push_str(&format!("<{name}><![CDATA[{}]]></{name}>", text.replace("]]>", "]]]]><![CDATA[>")));
        }
        Value::Number(number) => out.push_str(&format!("<{name}>{number}</{name}>")),
        Value::Bool(flag) => out.push_str(&format!("<{name}>{flag}</{name}>")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_official_customer_service_text_reads_as_its_json() {
        let xml = "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName><CreateTime>1482048670</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId></xml>";
        let members = read(xml).expect("well-formed");
        assert_eq!(
            Value::Object(members),
            json!({"ToUserName":"toUser","FromUserName":"fromUser","CreateTime":"1482048670","MsgType":"text","Content":"this is a test","MsgId":"1234567890123456"})
        );
    }

    #[test]
    fn nested_and_repeated_elements_become_objects_and_arrays() {
        let xml =
            "<xml>\n <W><List><Id>a</Id></List><List><Id>b</Id></List></W>\n <One><Id>c</Id></One><E/><T>x &amp; &#20320; y</T></xml>";
        let members = read(xml).expect("well-formed");
        assert_eq!(
            Value::Object(members),
            json!({"W": {"List": [{"Id": "a"}, {"Id": "b"}]}, "One": {"Id": "c"}, "E": "", "T": "x & 你 y"})
        );
    }

    #[test]
    fn what_is_not_a_push_is_an_error() {
        for bad in [
            "",
            "<xml>",
            "<xml><a></b></xml>",
            "<xml>text</xml>",
            "<xml/><more/>",
            "<xml><a>&bogus;</a></xml>",
            "<!DOCTYPE x [<!ENTITY e 'x'>]><xml/>",
            "plain",
        ] {
            assert!(read(bad).is_err(), "{bad:?} was read");
        }
        let deep = format!("<xml>{}{}</xml>", "<a>".repeat(40), "</a>".repeat(40));
        assert!(read(&deep).expect_err("too deep").0.contains("deeper"));
    }

    #[test]
    fn written_xml_reads_back_as_the_same_members_in_text() {
        let value = json!({"MsgType": "text", "CreateTime": 1, "Content": "a ]]> b <c>", "List": [{"Id": 1}, {"Id": 2}], "Gone": null});
        let Value::Object(members) = value else { unreachable!() };
        let text = write(&members);
        let back = read(&text).expect("reads back");
        assert_eq!(
            Value::Object(back),
            json!({"MsgType": "text", "CreateTime": "1", "Content": "a ]]> b <c>", "List": [{"Id": "1"}, {"Id": "2"}]})
        );
    }
}
