//! Pushed messages and events: one struct per event spec, in its
//! category's module (`<category>/events.rs`), and the `Event` enum of
//! them all with the table the push receiver reads (`events.rs`). All of
//! it sits behind wxa's `receive` feature, each variant behind its
//! category's.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Context, docs, ident, shape, types};
use crate::ir::{Api, EventReply, PushEvent};

/// The structs of one category's events.
pub fn category_events(api: &Api, category: &str, cx: &Context) -> TokenStream {
    let structs = api.events.iter().filter(|e| e.category == category).map(|event| {
        let doc = docs::lines(&event_doc(event));
        types::event_struct(&event.name, &event.fields, doc, cx.serialize_answers())
    });
    quote! { #(#structs)* }
}

fn event_doc(event: &PushEvent) -> Vec<String> {
    let selector = match (&event.info_type, &event.event) {
        (Some(info_type), _) => format!("`InfoType` `{info_type}`"),
        (None, Some(name)) => format!("`MsgType` `{}`, `Event` `{name}`", event.msg_type),
        (None, None) => format!("`MsgType` `{}`", event.msg_type),
    };
    let reply = match event.reply {
        EventReply::Success => "Reply: `success` (or nothing).",
        EventReply::ErrCode => {
            "Reply: `ErrCode`/`ErrMsg` in the push's format (`Reply::handled()`, or `Reply::ErrCode`); WeChat retries until it gets one."
        }
        EventReply::Custom => "Reply: the result object its page describes (`Reply::Fields`).",
    };
    let mut lines = vec![docs::spec_text(&event.summary), String::new(), format!("Pushed with {selector}. {reply}")];
    if let Some(notes) = &event.notes {
        lines.push(String::new());
        lines.extend(docs::spec_text(notes).lines().map(str::to_owned));
    }
    lines.push(String::new());
    lines.push(format!("Official documentation: <{}>", event.docs_url));
    lines
}

/// The `Event` enum and the table of every event.
pub fn event_enum(api: &Api, cx: &Context) -> TokenStream {
    let variants = api.events.iter().map(|event| {
        let gate = cx.category_gate(&event.category);
        let variant = ident(&event.name);
        let module = ident(&event.category);
        let doc = docs::lines(&[format!("{} ([`super::{}::{}`])", docs::spec_text(&event.summary), event.category, event.name)]);
        quote! { #doc #gate #variant(super::#module::#variant), }
    });
    let names = api.events.iter().map(|event| {
        let gate = cx.category_gate(&event.category);
        let variant = ident(&event.name);
        let name = &event.name;
        quote! { #gate Event::#variant(_) => #name, }
    });
    let rows = api.events.iter().map(|event| table_row(event, cx));
    quote! {
        /// Every message and event WeChat pushes that the specs describe,
        /// one variant each, and [`Event::Unknown`] for the rest. A variant
        /// exists when its category's feature is on.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            #(#variants)*
            /// A push no spec describes (or of a category this build leaves out), kept whole.
            Unknown(crate::runtime::event::UnknownEvent),
        }

        impl Event {
            /// The variant's name (`CustomerServiceImage`), `Unknown` for the rest.
            pub fn name(&self) -> &'static str {
                match self {
                    #(#names)*
                    Event::Unknown(_) => "Unknown",
                }
            }
        }

        /// What each event's spec tells the receiver, in the order of the specs.
        pub static EVENTS: &[crate::runtime::event::EventMeta<Event>] = &[
            #(#rows)*
        ];
    }
}

fn table_row(event: &PushEvent, cx: &Context) -> TokenStream {
    let gate = cx.category_gate(&event.category);
    let variant = ident(&event.name);
    let name = &event.name;
    let category = &event.category;
    let msg_type = &event.msg_type;
    let selector = match &event.event {
        Some(name) => quote!(Some(#name)),
        None => quote!(None),
    };
    let info_type = match &event.info_type {
        Some(name) => quote!(Some(#name)),
        None => quote!(None),
    };
    let wrapper = match &event.xml_wrapper {
        Some(name) => quote!(Some(#name)),
        None => quote!(None),
    };
    let reply = match event.reply {
        EventReply::Success => quote!(Success),
        EventReply::ErrCode => quote!(ErrCode),
        EventReply::Custom => quote!(Custom),
    };
    let docs_url = &event.docs_url;
    let shape = shape::fields_shape(&event.fields).to_string();
    quote! {
        #gate
        crate::runtime::event::EventMeta {
            name: #name,
            category: #category,
            msg_type: #msg_type,
            event: #selector,
            info_type: #info_type,
            reply: crate::runtime::event::EventReply::#reply,
            xml_wrapper: #wrapper,
            docs: #docs_url,
            shape: #shape,
            decode: |members| Ok(Event::#variant(crate::runtime::event::decode_members(members)?)),
        },
    }
}
