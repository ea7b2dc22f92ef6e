//! What the spec format's named types, choices and multi-file bodies become
//! in the generated client, checked against the fake WeChat server.

#![cfg(feature = "testing")]

use wxa::Upload;
use wxa::api::immediate_delivery::{
    DeliveryCargo, DeliveryCargoCargoFirstClass, DeliveryCargoGoodsDetail, DeliveryCargoGoodsDetailGoodsItem, DeliveryContact,
    DeliveryOrderInfo, DeliveryShop, ImmediateDeliveryAddOrderRequest, ImmediateDeliveryPreAddOrderRequest,
};
use wxa::api::ocr::{OcrIdCardImage, OcrIdCardRequest};
use wxa::api::shipping::{ShippingGetOrderPayment, ShippingGetOrderRequest};
use wxa::api::short_drama::{DramaSingleFileUploadCoverType, DramaSingleFileUploadMediaType, DramaSingleFileUploadRequest};
use wxa::testing::FakeWeChat;

fn contact(name: &str) -> DeliveryContact {
    DeliveryContact::new(name, "广州市", "Tianhe Road 1", "Floor 2", "13800000000", 113.3, 23.1)
}

fn cargo() -> DeliveryCargo {
    let goods = DeliveryCargoGoodsDetail::new(vec![DeliveryCargoGoodsDetailGoodsItem::new(1, "Tea")]);
    DeliveryCargo::new(12.5, 0.5, DeliveryCargoCargoFirstClass::FoodAndLateNight, "Tea").goods_detail(goods)
}

#[tokio::test]
async fn one_named_type_serves_every_endpoint_that_names_it() {
    let fake = FakeWeChat::start_contract().await;
    let client = fake.client();
    // The very same values go to two endpoints' request builders.
    let (receiver, cargo, order_info, shop) = (contact("Receiver"), cargo(), DeliveryOrderInfo::new(), DeliveryShop::new().goods_count(1));
    let pre = ImmediateDeliveryPreAddOrderRequest::new(
        "shop",
        "order-1",
        "SFTC",
        "openid",
        receiver.clone(),
        cargo.clone(),
        order_info.clone(),
        shop.clone(),
        "sign",
    )
    .sender(contact("Sender"));
    let add = ImmediateDeliveryAddOrderRequest::new("shop", "order-1", "SFTC", "openid", receiver, cargo, order_info, shop, "sign")
        .sender(contact("Sender"));
    assert_eq!(pre.receiver, add.receiver);
    assert_eq!(pre.sender, add.sender);
    client.immediate_delivery_pre_add_order(pre).await.expect("preAddOrder");
    client.immediate_delivery_add_order(add).await.expect("addOrder");
    assert!(fake.contract_violations().is_empty(), "{:?}", fake.contract_violations());
    for path in ["/cgi-bin/express/local/business/order/pre_add", "/cgi-bin/express/local/business/order/add"] {
        let requests = fake.requests(path);
        let body = requests[0].json.as_ref().expect("a JSON body");
        assert_eq!(body["receiver"]["name"], "Receiver", "{path}");
        assert_eq!(body["sender"]["name"], "Sender", "{path}");
        assert_eq!(body["cargo"]["goods_detail"]["goods"][0]["good_name"], "Tea", "{path}");
    }
}

#[tokio::test]
async fn every_file_part_of_a_multipart_body_reaches_the_server() {
    let fake = FakeWeChat::start_contract().await;
    let client = fake.client();
    let video = Upload::new(b"video-bytes".to_vec(), "episode.mp4");
    let cover = Upload::new(b"cover-bytes".to_vec(), "cover.png");
    let request = DramaSingleFileUploadRequest::new("Show - Episode 1", DramaSingleFileUploadMediaType::Mp4, video)
        .cover_type(DramaSingleFileUploadCoverType::Png)
        .cover_data(cover);
    client.drama_single_file_upload(request).await.expect("uploaded");
    assert!(fake.contract_violations().is_empty(), "{:?}", fake.contract_violations());
    let sent = &fake.requests("/wxa/sec/vod/singlefileupload")[0];
    let part = |name: &str| sent.parts.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no part {name}: {:?}", sent.parts));
    assert_eq!(part("media_data").bytes.as_ref(), b"video-bytes");
    assert_eq!(part("media_data").file_name.as_deref(), Some("episode.mp4"));
    assert_eq!(part("cover_data").bytes.as_ref(), b"cover-bytes");
    assert_eq!(part("cover_data").file_name.as_deref(), Some("cover.png"));
    assert_eq!(part("cover_type").bytes.as_ref(), b"PNG");

    // The cover is optional: without it only the video travels.
    let video = Upload::new(b"video-bytes".to_vec(), "episode.mp4");
    client
        .drama_single_file_upload(DramaSingleFileUploadRequest::new("Show - Episode 2", DramaSingleFileUploadMediaType::Mp4, video))
        .await
        .expect("uploaded");
    assert!(fake.contract_violations().is_empty(), "{:?}", fake.contract_violations());
    let sent = &fake.requests("/wxa/sec/vod/singlefileupload")[1];
    assert!(sent.parts.iter().all(|p| p.name != "cover_data"), "{:?}", sent.parts);
}

#[tokio::test]
async fn a_choice_sends_its_query_parameter_or_its_file_part() {
    let fake = FakeWeChat::start_contract().await;
    let client = fake.client();

    let by_url = OcrIdCardRequest::new(OcrIdCardImage::Url("https://example.com/card.jpg".to_owned()));
    client.ocr_id_card(by_url).await.expect("read from a URL");
    let jpeg = Upload::new(b"\xff\xd8\xffcard".to_vec(), "card.jpg");
    client.ocr_id_card(OcrIdCardRequest::new(OcrIdCardImage::File(jpeg))).await.expect("read from an upload");
    assert!(fake.contract_violations().is_empty(), "{:?}", fake.contract_violations());

    let sent = fake.requests("/cv/ocr/idcard");
    assert_eq!(sent.len(), 2);
    // The URL travels in the query, with no body at all.
    assert_eq!(sent[0].query_value("img_url"), Some("https://example.com/card.jpg"));
    assert!(sent[0].parts.is_empty() && sent[0].json.is_none(), "{:?}", sent[0]);
    assert!(!sent[0].content_type.as_deref().unwrap_or_default().starts_with("multipart/"), "{:?}", sent[0].content_type);
    // The file travels as the multipart part `img`, with no `img_url`.
    assert_eq!(sent[1].query_value("img_url"), None);
    assert!(sent[1].content_type.as_deref().is_some_and(|ct| ct.starts_with("multipart/form-data")), "{:?}", sent[1].content_type);
    let img = sent[1].parts.iter().find(|p| p.name == "img").expect("the img part");
    assert_eq!(img.bytes.as_ref(), b"\xff\xd8\xffcard");
    assert_eq!(img.file_name.as_deref(), Some("card.jpg"));
}

#[tokio::test]
async fn a_choice_of_json_members_sends_the_members_of_its_variant() {
    let fake = FakeWeChat::start_contract().await;
    let client = fake.client();
    let by_transaction = ShippingGetOrderPayment::TransactionId { transaction_id: "4200000001".to_owned() };
    client.shipping_get_order(ShippingGetOrderRequest::new(by_transaction)).await.expect("by transaction");
    let by_merchant = ShippingGetOrderPayment::MerchantTradeNo {
        merchant_id: "1230000109".to_owned(),
        merchant_trade_no: "order-7".to_owned(),
        sub_merchant_id: None,
    };
    client.shipping_get_order(ShippingGetOrderRequest::new(by_merchant)).await.expect("by merchant order");
    assert!(fake.contract_violations().is_empty(), "{:?}", fake.contract_violations());
    let sent = fake.requests("/wxa/sec/order/get_order");
    assert_eq!(sent[0].json, Some(serde_json::json!({"transaction_id": "4200000001"})));
    assert_eq!(sent[1].json, Some(serde_json::json!({"merchant_id": "1230000109", "merchant_trade_no": "order-7"})));
}
