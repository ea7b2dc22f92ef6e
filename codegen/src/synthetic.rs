//! Synthetic spec sets for benchmarks and stress tests: `n` endpoints that
//! together use every feature of the format.

use crate::load::SourceFile;

/// The shared error table plus `n` endpoint specs in 10 categories.
pub fn sources(n: usize) -> Vec<SourceFile> {
    let mut files = vec![SourceFile {
        path: crate::load::GLOBAL_ERRORS_FILE.to_owned(),
        text: "errors:\n  - code: -1\n    name: SystemBusy\n    doc: Busy.\n    retry: transient\n  - code: 40001\n    name: InvalidCredential\n    doc: Bad token.\n    retry: refresh_token\n  - code: 45009\n    name: ApiDailyQuota\n    doc: Daily quota reached.\n    retry: none\n".to_owned(),
    }];
    for i in 0..n {
        let category = format!("category{}", i % 10);
        let name = format!("syntheticEndpoint{i}");
        let file = format!("{category}/synthetic_endpoint{i}.yaml");
        let text = match i % 4 {
            0 => format!(
                "name: {name}\nsummary: A JSON call.\ndocs: https://developers.weixin.qq.com/miniprogram/dev/x{i}.html\ncategory: {category}\nmethod: POST\npath: /wxa/synthetic/{i}\nauth: access_token\nretry_safe: true\nbody:\n  kind: json\n  fields:\n    - name: scene\n      type: string\n      required: true\n      doc: Scene.\n    - name: width\n      type: u32\n      default: 430\n      doc: Width.\n    - name: env_version\n      type: string\n      enum: [release, trial, develop]\n      doc: Version.\n    - name: color\n      type: object\n      doc: Colour.\n      fields:\n        - name: r\n          type: u32\n          required: true\n          doc: Red.\n        - name: g\n          type: u32\n          required: true\n          doc: Green.\n    - name: tags\n      type: array\n      doc: Tags.\n      items:\n        type: string\nresponse:\n  kind: json\n  fields:\n    - name: items\n      type: array\n      doc: Items.\n      items:\n        type: object\n        fields:\n          - name: id\n            type: i64\n            required: true\n            doc: Id.\n          - name: state\n            type: i32\n            doc: State.\n            enum:\n              - {{value: 0, name: Off}}\n              - {{value: 1, name: On}}\n    - name: total\n      type: i64\n      required: true\n      doc: Total.\nerrors:\n  - code: 45009\n    name: TooFrequent\n    doc: Per-minute limit.\n    retry: throttle\n  - code: 41030\n    name: InvalidPage\n    doc: Bad page.\n    retry: none\n"
            ),
            1 => format!(
                "name: {name}\nsummary: A binary download.\ndocs: https://developers.weixin.qq.com/miniprogram/dev/x{i}.html\ncategory: {category}\nmethod: GET\npath: /cgi-bin/synthetic/{i}\nauth: access_token\nretry_safe: true\nquery:\n  - name: media_id\n    type: string\n    required: true\n    doc: Media.\nresponse:\n  kind: binary\nerrors:\n  - code: 40007\n    name: InvalidMediaId\n    doc: Bad media.\n    retry: none\n"
            ),
            2 => format!(
                "name: {name}\nsummary: An upload.\ndocs: https://developers.weixin.qq.com/miniprogram/dev/x{i}.html\ncategory: {category}\nmethod: POST\npath: /cgi-bin/synthetic/{i}\nauth: access_token\nretry_safe: false\nquery:\n  - name: type\n    rust_name: media_type\n    type: string\n    required: true\n    doc: Type.\nbody:\n  kind: multipart\n  files:\n    - name: media\n      doc: The file.\nresponse:\n  kind: json\n  fields:\n    - name: media_id\n      type: string\n      required: true\n      doc: Media.\n"
            ),
            _ => format!(
                "name: {name}\nsummary: An unauthenticated call.\ndocs: https://developers.weixin.qq.com/miniprogram/dev/x{i}.html\ncategory: {category}\nmethod: GET\npath: /sns/synthetic/{i}\nauth: none\nretry_safe: true\nquery:\n  - name: appid\n    type: string\n    from: app_id\n    doc: App.\n  - name: grant_type\n    type: string\n    value: authorization_code\n    doc: Grant.\n  - name: code\n    type: string\n    required: true\n    doc: Code.\nresponse:\n  kind: json\n  fields:\n    - name: session_key\n      type: string\n      secret: true\n      required: true\n      doc: Key.\n"
            ),
        };
        files.push(SourceFile { path: file, text });
    }
    files
}
