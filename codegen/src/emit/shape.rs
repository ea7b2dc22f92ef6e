//! The shape of an endpoint's requests and answers as compact JSON, kept
//! in its `EndpointMeta` (`shape`): the one description that both the
//! client's facts and the fake server's checks come from.
//!
//! - fields: an object from wire name to type; a required field's name
//!   ends in `!`;
//! - types: `"string"`, `"bool"`, `"int"`, `"float"`, `"json"`,
//!   `{"enum": [values]}`, `{"object": fields}`, `{"array": type}`,
//!   `{"map": type}`, `{"const": value}` (a constant the client fills in,
//!   a string, number or boolean as sent),
//!   `{"credential": "app_id" | "app_secret"}`;
//! - `query`: fields; `body`: `"none"`, `"any_json"`, `{"json": fields}` or
//!   `{"multipart": {"files": [names, "required!"], "fields": fields}}`;
//!   `response`: `"binary"`, `"ack"` or `{"json": fields}`; `errors`: the
//!   codes the endpoint documents; `choice` (when the request has one): its
//!   ways, `{"query": name}`, `{"file": name}` or `{"member": name}`, of
//!   which a request uses exactly one; `signing` (when the client signs the
//!   call): `{"pay_sig": "virtual_payment" | "b2b_store" | null, "env":
//!   member | null, "user_signature": bool}`.

use serde_json::{Map, Value, json};

use crate::ir::*;

fn type_shape(ty: &Type) -> Value {
    match ty {
        Type::String | Type::Secret => json!("string"),
        Type::Bool => json!("bool"),
        Type::Int(_) => json!("int"),
        Type::Float => json!("float"),
        Type::Json => json!("json"),
        Type::Enum(e) => {
            let values: Vec<Value> = e
                .variants
                .iter()
                .map(|v| match (&v.value, e.int) {
                    (EnumValue::Str(s), _) => json!(s),
                    (EnumValue::Int(i), None) => json!(i.to_string()),
                    (EnumValue::Int(i), Some(_)) => json!(i),
                })
                .collect();
            json!({ "enum": values })
        }
        Type::Object(o) => json!({ "object": fields_shape(&o.fields) }),
        Type::Array(item) => json!({ "array": type_shape(item) }),
        Type::Map(value) => json!({ "map": type_shape(value) }),
        Type::Named(r) => match &r.target {
            Some(target) => type_shape(&target.ty),
            None => json!("json"),
        },
    }
}

pub(crate) fn fields_shape(fields: &[Field]) -> Value {
    let mut out = Map::new();
    for field in fields {
        let (required, ty) = match &field.source {
            FieldSource::Caller => (field.required, type_shape(&field.ty)),
            FieldSource::Fixed(value) => (true, json!({ "const": fixed_value(value) })),
            FieldSource::AppId => (true, json!({ "credential": "app_id" })),
            FieldSource::AppSecret => (true, json!({ "credential": "app_secret" })),
        };
        let key = if required { format!("{}!", field.wire_name) } else { field.wire_name.clone() };
        out.insert(key, ty);
    }
    Value::Object(out)
}

/// A constant as the JSON value it is sent as.
fn fixed_value(value: &FixedValue) -> Value {
    match value {
        FixedValue::Str(s) => json!(s),
        FixedValue::Int(i) => json!(i),
        FixedValue::Bool(b) => json!(b),
    }
}

/// A choice's query parameters, each optional (present only when chosen).
fn choice_query_fields(choice: Option<&Choice>) -> Vec<Field> {
    let fields = choice.into_iter().flat_map(|c| &c.alternatives).filter_map(|a| match &a.carrier {
        Carrier::Query(field) => Some(Field { required: false, ..(**field).clone() }),
        Carrier::File(_) | Carrier::Json(_) => None,
    });
    fields.collect()
}

/// The members of a choice's JSON alternatives, each optional.
fn choice_body_fields(choice: Option<&Choice>) -> Vec<Field> {
    let members = choice.into_iter().flat_map(|c| &c.alternatives).flat_map(|a| match &a.carrier {
        Carrier::Json(fields) => fields.as_slice(),
        Carrier::Query(_) | Carrier::File(_) => &[],
    });
    members.map(|f| Field { required: false, ..f.clone() }).collect()
}

/// The ways a choice may travel, of which a request uses exactly one.
fn choice_shape(choice: &Choice) -> Value {
    let alternatives = choice.alternatives.iter().map(|a| match &a.carrier {
        Carrier::Query(field) => json!({ "query": field.wire_name }),
        Carrier::File(file) => json!({ "file": file.name }),
        // Validation makes sure one member is required.
        Carrier::Json(fields) => json!({ "member": fields.iter().find(|f| f.required).map_or("", |f| f.wire_name.as_str()) }),
    });
    Value::Array(alternatives.collect())
}

/// The endpoint's shape, as JSON text.
pub fn endpoint_shape(endpoint: &Endpoint) -> String {
    let choice = endpoint.choice.as_ref();
    let body = match &endpoint.body {
        Body::None => json!("none"),
        Body::AnyJson(_) => json!("any_json"),
        Body::Json(fields) => json!({ "json": fields_shape(&[fields.clone(), choice_body_fields(choice)].concat()) }),
        Body::Multipart { files, fields } => {
            // `"name!"`: a part every request carries.
            let files: Vec<String> = files.iter().map(|f| if f.required { format!("{}!", f.name) } else { f.name.clone() }).collect();
            json!({ "multipart": { "files": files, "fields": fields_shape(fields) } })
        }
    };
    let response = match &endpoint.response {
        Response::Json(fields) => json!({ "json": fields_shape(fields) }),
        Response::Binary => json!("binary"),
        Response::Ack => json!("ack"),
    };
    let errors: Vec<i64> = endpoint.errors.iter().map(|e| e.code).collect();
    let query = fields_shape(&[endpoint.query.clone(), choice_query_fields(choice)].concat());
    let mut shape = json!({ "query": query, "body": body, "response": response, "errors": errors });
    if let Some(choice) = choice {
        shape["choice"] = choice_shape(choice);
    }
    if let Some(signing) = &endpoint.signing {
        let pay_sig = signing.pay_sig.map(|key| match key {
            PayKey::VirtualPayment => "virtual_payment",
            PayKey::B2bStore => "b2b_store",
        });
        shape["signing"] = json!({ "pay_sig": pay_sig, "env": signing.env_field, "user_signature": signing.user_signature });
    }
    shape.to_string()
}
