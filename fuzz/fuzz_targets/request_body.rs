//! A request body of arbitrary bytes, under each media type the gate sees (none included),
//! through the body reader (strict JSON, else the body as CAIC pastes variables into it) and
//! then every check a parsed request meets before any I/O. Nothing may panic.

#![no_main]

use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;
use shared::http::json_body;
use shared::contract::validate::ChatId;
use shared::contract::{AvailabilityRequest, HandoverRequest, IntakeRequest, MessageRequest};

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let content_type = match selector % 4 {
        0 => "application/json",
        1 => "application/json; charset=utf-8",
        2 => "text/plain",
        _ => "",
    };
    let mut builder = lambda_http::http::Request::builder().method("POST").uri("/x");
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    let Ok(req): Result<Request, _> = builder.body(Body::Binary(body.to_vec())) else {
        return;
    };
    if let Ok(intake) = json_body::<IntakeRequest>(&req, None) {
        let _ = ChatId::parse(&intake.chat_id);
        let _ = intake::normalise_fields(&intake);
    }
    // both ways a deployment reads the context: any key, and only the keys it names
    for keys in [
        handover::keys::ContextKeys::default(),
        handover::keys::ContextKeys::only(&["orderId", "note"]),
    ] {
        if let Ok(order) = json_body::<HandoverRequest>(&req, None) {
            let _ = handover::order::HandoverOrder::parse(order, &keys);
        }
    }
    if let Ok(message) = json_body::<MessageRequest>(&req, None)
        && let Some(text) = &message.message
    {
        let _ = shared::contract::validate::paragraphs(text, 2000);
    }
    if let Ok(availability) = json_body(&req, Some(AvailabilityRequest::default())) {
        let _ = availability.refused_field();
    }
});
