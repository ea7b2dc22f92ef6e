//! Whatever reaches the push URL, the receiver answers with a typed error
//! or a push, and a push reads into an event or a typed error: never a
//! panic. Signed requests are made here so the bytes get past the
//! signature to the parsers.

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use proptest::prelude::*;
use wxa::receive::{PushReceiver, Received};

const TOKEN: &str = "property-token";
const APP_ID: &str = "wx00000000prop0001";

fn receiver() -> PushReceiver {
    PushReceiver::new(APP_ID, TOKEN).encoding_aes_key(&"B".repeat(43)).expect("key")
}

fn sha1_hex(parts: &mut [&str]) -> String {
    parts.sort_unstable();
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, parts.concat().as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh timestamp and nonce each call, so no request is a replay.
fn fresh() -> (String, String) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    (now.to_string(), NEXT.fetch_add(1, Ordering::Relaxed).to_string())
}

fn signed_query(extra: &str) -> String {
    let (timestamp, nonce) = fresh();
    let signature = sha1_hex(&mut [TOKEN, &timestamp, &nonce]);
    format!("signature={signature}&timestamp={timestamp}&nonce={nonce}{extra}")
}

/// The receiver's whole path for one request: typed results only.
fn read_through(receiver: &PushReceiver, method: &str, query: &str, body: &[u8]) {
    match receiver.receive(method, query, body) {
        Ok(Received::Push(push)) => {
            // Either an event or a typed error; the Display must not panic either.
            if let Err(error) = push.event() {
                assert!(!error.to_string().is_empty());
            }
        }
        Ok(_) => {}
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

/// Text that looks like a push often enough to reach deep into the readers.
fn pushy_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<xml>".to_owned()),
        Just("</xml>".to_owned()),
        Just("<MsgType><![CDATA[image]]></MsgType>".to_owned()),
        Just("<MsgType>event</MsgType><Event>subscribe_msg_popup_event</Event>".to_owned()),
        Just("<List><TemplateId>t</TemplateId></List>".to_owned()),
        Just("<MediaId>".to_owned()),
        Just("</MediaId>".to_owned()),
        Just("&amp;&#x1F600;&bogus;".to_owned()),
        Just(r#"{"MsgType":"image","MediaId":"#.to_owned()),
        Just(r#"{"MsgType":"event","Event":"wxa_media_check","result":"#.to_owned()),
        Just("[1,{\"a\":".to_owned()),
        "[ -~]{0,12}".prop_map(|s| s),
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_request_gives_a_typed_answer(method in "(GET|POST|PUT|)", query in any::<String>(), body in prop::collection::vec(any::<u8>(), 0..256)) {
        read_through(&receiver(), &method, &query, &body);
    }

    #[test]
    fn any_signed_plaintext_body_reads_into_an_event_or_a_typed_error(body in prop::collection::vec(any::<u8>(), 0..512), text in pushy_text()) {
        let receiver = receiver();
        read_through(&receiver, "POST", &signed_query(""), &body);
        read_through(&receiver, "POST", &signed_query(""), text.as_bytes());
    }

    #[test]
    fn any_signed_ciphertext_gives_a_typed_answer(cipher in prop::collection::vec(any::<u8>(), 0..256), raw in "[A-Za-z0-9+/=]{0,64}") {
        let receiver = receiver();
        for encrypt in [base64::engine::general_purpose::STANDARD.encode(&cipher), raw] {
            let (timestamp, nonce) = fresh();
            let signature = sha1_hex(&mut [TOKEN, &timestamp, &nonce]);
            let msg_signature = sha1_hex(&mut [TOKEN, &timestamp, &nonce, &encrypt]);
            let query = format!("signature={signature}&timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={msg_signature}");
            let body = serde_json::json!({"ToUserName": "gh_x", "Encrypt": encrypt}).to_string();
            let result = receiver.receive("POST", &query, body.as_bytes());
            // Random bytes never carry this app's id at the end of a valid layout.
            prop_assert!(result.is_err(), "random ciphertext was accepted");
        }
    }
}
