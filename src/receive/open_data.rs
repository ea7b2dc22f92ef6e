//! The user data a mini program hands the server encrypted with the
//! user's session key (`encryptedData` and `iv` from `wx.getUserInfo`,
//! `wx.getShareInfo`, `wx.getWeRunData`, …), and the `signature` over
//! `rawData`: <https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html>.
//!
//! The data is AES-128-CBC with PKCS#7 padding, keyed with the session key
//! (base64-decoded), and carries a `watermark` whose `appid` must be the
//! app's own.

use std::fmt;

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::{same_signature, sha1_hex};
use crate::Secret;

/// Why user data was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenDataError {
    /// The session key is not the base64 of 16 bytes.
    BadSessionKey,
    /// The IV is not the base64 of 16 bytes, or the data not base64.
    BadInput(&'static str),
    /// Decryption failed: a wrong (or rotated) session key, or damaged data.
    BadPadding,
    /// The decrypted data is not the JSON expected.
    NotJson(String),
    /// The watermark names another app id (or none).
    ForeignApp,
    /// `signature` is not `sha1(rawData + session_key)`.
    BadSignature,
}

impl fmt::Display for OpenDataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenDataError::BadSessionKey => f.write_str("the session key is not the base64 of 16 bytes"),
            OpenDataError::BadInput(what) => write!(f, "the encrypted data cannot be read: {what}"),
            OpenDataError::BadPadding => {
                f.write_str("the data does not decrypt with this session key (expired, rotated, or another user's)")
            }
            OpenDataError::NotJson(why) => write!(f, "the decrypted data is not the JSON expected: {why}"),
            OpenDataError::ForeignApp => f.write_str("the data's watermark names another app id"),
            OpenDataError::BadSignature => f.write_str("rawData's signature does not match the session key"),
        }
    }
}

impl std::error::Error for OpenDataError {}

/// Every decrypted object's `watermark`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[non_exhaustive]
pub struct Watermark {
    /// The app the data was made for.
    pub appid: String,
    /// When, Unix seconds.
    pub timestamp: i64,
}

/// `wx.getUserInfo`'s data (old base libraries; now mostly anonymous).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserInfo {
    /// The user's openid.
    pub open_id: Option<String>,
    /// Nickname.
    pub nick_name: Option<String>,
    /// 0 unknown, 1 male, 2 female.
    pub gender: Option<i64>,
    /// Language, e.g. `zh_CN`.
    pub language: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Province.
    pub province: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// The unionid, when the app belongs to an open platform account.
    pub union_id: Option<String>,
    /// Whose data and when.
    pub watermark: Watermark,
}

/// `wx.getShareInfo`'s data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[non_exhaustive]
pub struct ShareInfo {
    /// The group's id for this app.
    #[serde(rename = "openGId")]
    pub open_g_id: String,
    /// Whose data and when.
    pub watermark: Watermark,
}

/// `wx.getWeRunData`'s data: the user's steps per day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WeRunData {
    /// One entry per day, the last 31 days.
    pub step_info_list: Vec<StepInfo>,
    /// Whose data and when.
    pub watermark: Watermark,
}

/// The steps of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[non_exhaustive]
pub struct StepInfo {
    /// The day's start, Unix seconds.
    pub timestamp: i64,
    /// Steps walked.
    pub step: i64,
}

/// Decrypts `encrypted_data` with the user's session key and `iv`, checks
/// the watermark's app id, and reads it as `T` ([`UserInfo`],
/// [`ShareInfo`], [`WeRunData`], or a type of your own with a
/// `watermark`).
///
/// # Errors
///
/// An [`OpenDataError`] for a wrong key, bad padding, a foreign app id, or
/// JSON that is not a `T`.
pub fn decrypt<T: DeserializeOwned>(session_key: &Secret, encrypted_data: &str, iv: &str, app_id: &str) -> Result<T, OpenDataError> {
    let plain = decrypt_bytes(session_key, encrypted_data, iv)?;
    let value: serde_json::Value = serde_json::from_slice(&plain).map_err(|e| OpenDataError::NotJson(e.to_string()))?;
    if value.pointer("/watermark/appid").and_then(serde_json::Value::as_str) != Some(app_id) {
        return Err(OpenDataError::ForeignApp);
    }
    serde_json::from_value(value).map_err(|e| OpenDataError::NotJson(e.to_string()))
}

fn decrypt_bytes(session_key: &Secret, encrypted_data: &str, iv: &str) -> Result<Zeroizing<Vec<u8>>, OpenDataError> {
    let key = Zeroizing::new(BASE64.decode(session_key.expose().trim()).map_err(|_| OpenDataError::BadSessionKey)?);
    let key: &[u8; 16] = key.as_slice().try_into().map_err(|_| OpenDataError::BadSessionKey)?;
    let iv = BASE64.decode(iv.trim()).map_err(|_| OpenDataError::BadInput("the IV is not base64"))?;
    let iv: [u8; 16] = iv.try_into().map_err(|_| OpenDataError::BadInput("the IV is not 16 bytes"))?;
    let mut data = Zeroizing::new(BASE64.decode(encrypted_data.trim()).map_err(|_| OpenDataError::BadInput("the data is not base64"))?);
    let len = cbc::Decryptor::<aes::Aes128>::new(key.into(), &iv.into())
        .decrypt_padded_mut::<Pkcs7>(&mut data)
        .map_err(|_| OpenDataError::BadPadding)?
        .len();
    data.truncate(len);
    Ok(data)
}

/// Checks `signature = sha1(raw_data + session_key)` (the session key as
/// its base64 text), what `wx.getUserInfo` returns beside `rawData`.
///
/// # Errors
///
/// [`OpenDataError::BadSignature`] when it does not match.
pub fn check_signature(raw_data: &str, session_key: &Secret, signature: &str) -> Result<(), OpenDataError> {
    let expected = sha1_hex(&[raw_data.as_bytes(), session_key.expose().as_bytes()]);
    if same_signature(&expected, signature) { Ok(()) } else { Err(OpenDataError::BadSignature) }
}

#[cfg(test)]
mod tests {
    //! The official decryption sample (the signature page's sample code)
    //! and the page's rawData signature example.

    use super::*;

    const APP_ID: &str = "wx4f4bc4dec97d474b";
    const SESSION_KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
    const IV: &str = "r7BXXKkLb8qrSNn05n0qiA==";
    const DATA: &str = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==";

    #[test]
    fn the_official_sample_decrypts_to_the_published_user() {
        let key = Secret::from(SESSION_KEY);
        let plain = decrypt_bytes(&key, DATA, IV).expect("decrypts");
        assert!(plain.starts_with(br#"{"openId":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","nickName":"Band""#));
        let user: UserInfo = decrypt(&key, DATA, IV, APP_ID).expect("a user");
        assert_eq!(user.open_id.as_deref(), Some("oGZUI0egBJY1zhBYw2KhdUfwVJJE"));
        assert_eq!(user.union_id.as_deref(), Some("ocMvos6NjeKLIBqg5Mr9QjxrP1FA"));
        assert_eq!((user.gender, user.watermark.timestamp), (Some(1), 1477314187));
    }

    #[test]
    fn wrong_keys_foreign_apps_and_bad_input_are_typed_errors() {
        let key = Secret::from(SESSION_KEY);
        assert_eq!(decrypt::<UserInfo>(&key, DATA, IV, "wx_other"), Err(OpenDataError::ForeignApp));
        let wrong = Secret::from("HyVFkGl5F5OQWJZZaNzBBg==");
        assert!(matches!(decrypt::<UserInfo>(&wrong, DATA, IV, APP_ID), Err(OpenDataError::BadPadding | OpenDataError::NotJson(_))));
        assert_eq!(decrypt::<UserInfo>(&Secret::from("c2hvcnQ="), DATA, IV, APP_ID), Err(OpenDataError::BadSessionKey));
        assert_eq!(decrypt::<UserInfo>(&key, DATA, "c2hvcnQ=", APP_ID), Err(OpenDataError::BadInput("the IV is not 16 bytes")));
        assert_eq!(decrypt::<UserInfo>(&key, "!!", IV, APP_ID), Err(OpenDataError::BadInput("the data is not base64")));
        assert!(matches!(decrypt::<WeRunData>(&key, DATA, IV, APP_ID), Err(OpenDataError::NotJson(_))));
    }

    #[test]
    fn the_official_raw_data_signature_checks() {
        let raw = r#"{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}"#;
        let key = Secret::from("HyVFkGl5F5OQWJZZaNzBBg==");
        assert_eq!(check_signature(raw, &key, "75e81ceda165f4ffa64f4068af58c64b8f54b88c"), Ok(()));
        assert_eq!(check_signature(raw, &key, "75e81ceda165f4ffa64f4068af58c64b8f54b88d"), Err(OpenDataError::BadSignature));
        assert_eq!(
            check_signature(&raw.replace("Band", "Bond"), &key, "75e81ceda165f4ffa64f4068af58c64b8f54b88c"),
            Err(OpenDataError::BadSignature)
        );
    }
}
