//! What a real CAIC dialog sends, through each function's entry point: bodies built as raw text
//! the way CAIC pastes `{{variables}}` into a Raw body (a customer's quotes, backslashes, tabs
//! and line breaks unescaped), variables that are not set (empty, or left as `{{placeholder}}`),
//! and CAIC's own presence-check body as CM.com may extend it. Against DynamoDB Local, a local
//! Routing Control (wiremock) and the local SES server.

use std::sync::Arc;

use aws_config::SdkConfig;
use e2e::{
    conforming, env, event, event_with_raw_body, fresh_table, items, request, sdk, with_header,
    with_route,
};
use serde_json::{Value, json};
use shared::adapters::store::Store;
use shared::contract::validate::ChatId;
use shared::contract::{IntakeField, IntakeRecord};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// 2026-11-24T14:05:00Z, 15:05 in Amsterdam: the time of all four apps.
const AT: u64 = 1_795_529_100;
const FROM: &str = "Shop Chat <chat@shop.example>";
const TO: &str = "support@shop.example";

/// The four functions on one table, Routing Control at a wiremock that answers 200.
struct Dialog {
    sdk: SdkConfig,
    table: String,
    cm: MockServer,
    intake: intake::App,
    handover: handover::App,
    message: message::App,
}

async fn dialog() -> Dialog {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let cm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&cm)
        .await;
    let intake = intake::App::from_env(&env(&[("TABLE_NAME", table.as_str())]), &sdk)
        .await
        .expect("intake configuration")
        .with_clock(Arc::new(shared::rules::clock::FixedClock(AT)));
    let handover = handover::App::from_env(&e2e::handover_env(&table, &cm.uri(), &[]), &sdk)
        .await
        .expect("handover configuration")
        .with_clock(Arc::new(shared::rules::clock::FixedClock(AT)));
    let message = message::App::from_env(
        &env(&[
            ("TABLE_NAME", table.as_str()),
            ("MESSAGE_FROM", FROM),
            ("MESSAGE_TO", TO),
            ("HANDOVER_TIME_ZONE", "Europe/Amsterdam"),
        ]),
        &sdk,
    )
    .await
    .expect("message configuration")
    .with_clock(Arc::new(shared::rules::clock::FixedClock(AT)));
    Dialog {
        sdk,
        table,
        cm,
        intake,
        handover,
        message,
    }
}

impl Dialog {
    /// `raw` as the body of a POST to the intake function, exactly as written.
    async fn intake(&self, raw: &str) -> (u16, Value) {
        let response = intake::handle(
            &self.intake,
            request(&event_with_raw_body("intake-name", raw)),
        )
        .await
        .expect("infallible");
        conforming("post", "/intake", &response)
    }

    async fn handover(&self, raw: &str) -> (u16, Value) {
        let response = handover::handle(
            &self.handover,
            request(&event_with_raw_body("handover", raw)),
        )
        .await
        .expect("infallible");
        conforming("post", "/handover", &response)
    }

    async fn message(&self, raw: &str) -> (u16, Value) {
        let response =
            message::handle(&self.message, request(&event_with_raw_body("message", raw)))
                .await
                .expect("infallible");
        conforming("post", "/message", &response)
    }

    /// What the table holds for `chat`'s intake.
    async fn stored(&self, chat: &str) -> IntakeRecord {
        let store = Store::new(aws_sdk_dynamodb::Client::new(&self.sdk), self.table.clone());
        let chat = ChatId::parse(chat).expect("a chat id");
        store
            .intake(&chat, AT)
            .await
            .expect("the table answers")
            .unwrap_or_default()
    }

    /// The Context of every routing mutation request the stand-in received.
    async fn contexts(&self) -> Vec<Value> {
        self.cm
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| {
                serde_json::from_slice::<Value>(&r.body).expect("a JSON body")["Context"].clone()
            })
            .collect()
    }
}

fn record(fields: &[(IntakeField, &str)]) -> IntakeRecord {
    fields.iter().map(|(f, v)| (*f, (*v).to_owned())).collect()
}

#[tokio::test]
async fn a_customers_quote_backslash_tab_and_line_break_reach_the_agent_as_typed() {
    let d = dialog().await;
    let stored = json!({"intakeStatus": "complete", "stored": true, "complete": true, "missing": [], "invalid": []});
    // each body as CAIC builds it: the variable pasted between the quotes, nothing escaped
    assert_eq!(
        d.intake(r#"{"chatId": "c-raw1", "email": "jan@example.nl"}"#)
            .await,
        (
            200,
            json!({"intakeStatus": "incomplete", "stored": true, "complete": false, "missing": ["name"], "invalid": []})
        )
    );
    assert_eq!(
        d.intake(r#"{"chatId": "c-raw1", "name": "Jan "JJ" Jansen"}"#)
            .await,
        (200, stored.clone())
    );
    assert_eq!(
        d.intake("{\"chatId\": \"c-raw1\", \"question\": \"my order \"123\" is\tlate\nsee C:\\orders\\123 \"}")
            .await,
        (200, stored)
    );
    assert_eq!(
        d.stored("c-raw1").await,
        record(&[
            (IntakeField::Name, r#"Jan "JJ" Jansen"#),
            (IntakeField::Email, "jan@example.nl"),
            (
                IntakeField::Question,
                r#"my order "123" is late see C:\orders\123"#
            ),
        ])
    );
    assert_eq!(
        d.handover(r#"{"chatId": "c-raw1", "skill": "billing"}"#)
            .await,
        (200, json!({"handoverStatus": "success"}))
    );
    let contexts = d.contexts().await;
    assert_eq!(contexts.len(), 1);
    assert_eq!(contexts[0]["name"], r#"Jan "JJ" Jansen"#);
    assert_eq!(
        contexts[0]["question"],
        r#"my order "123" is late see C:\orders\123"#
    );
    assert_eq!(
        contexts[0]["CustomerInfo"],
        r#"{"name":"Jan \"JJ\" Jansen","email":"jan@example.nl"}"#
    );
}

#[tokio::test]
async fn a_raw_multi_line_message_reaches_the_mailbox_as_typed() {
    let d = dialog().await;
    let address = format!("{}@example.nl", e2e::unique("raw.msg"));
    d.intake(&format!(r#"{{"chatId": "c-raw2", "email": "{address}"}}"#))
        .await;
    d.intake(r#"{"chatId": "c-raw2", "name": "Zoë "Z" de Vries"}"#)
        .await;
    // webstore first, the customer's text last, as docs/caic.md writes the body
    let raw = "{\"chatId\": \"c-raw2\", \"webstore\": \"shop-nl\", \"message\": \"Hi \"team\",\r\n\r\n\tmy parcel\\box is \"lost\".\nCall me\"}";
    assert_eq!(
        d.message(raw).await,
        (200, json!({"messageStatus": "sent"}))
    );
    let mails = e2e::ses_emails_replying_to(&address).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let body = mails[0]["body"]["text"].as_str().expect("a text body");
    assert!(
        body.starts_with(
            "The customer wrote:\n\n> Hi \"team\",\n> \n> my parcel\\box is \"lost\".\n> Call me\n"
        ),
        "{body}"
    );
    assert!(
        body.contains(r#"Customer "Zoë \"Z\" de Vries" (email ""#)
            && body.contains("left a message at 2026-11-24 15:05 CET"),
        "{body}"
    );
    assert_eq!(
        mails[0]["subject"],
        r#"Chat message from "Zoë \"Z\" de Vries" via "shop-nl""#
    );
}

#[tokio::test]
async fn customer_text_never_sets_another_field_or_touches_another_chat() {
    let d = dialog().await;
    d.intake(r#"{"chatId": "c-inj", "name": "Jan"}"#).await;
    d.intake(r#"{"chatId": "c-other", "name": "Olga"}"#).await;
    // a question that closes itself and goes on to set the name: it is all question
    let (status, _) = d
        .intake(r#"{"chatId": "c-inj", "question": "late","name":"Admin"}"}"#)
        .await;
    assert_eq!(status, 200);
    // and one that names the chat id after it: the dialog's field after the customer's text is
    // refused, nothing of it stored (issue 46: the customer's text goes last)
    let (status, body) = d
        .intake(r#"{"chatId": "c-inj", "phone": "+31 6 1234 5678","chatId":"c-other"}"}"#)
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            400,
            json!(
                "`chatId` comes after `phone`, the customer's text: put the customer's text last in the body (docs/caic.md)"
            )
        )
    );
    assert_eq!(
        d.stored("c-inj").await,
        record(&[
            (IntakeField::Name, "Jan"),
            (IntakeField::Question, r#"late","name":"Admin"}"#),
        ]),
        "the refused body stored nothing"
    );
    assert_eq!(
        d.stored("c-other").await,
        record(&[(IntakeField::Name, "Olga")])
    );
    // valid JSON that repeats the chat id is refused whole
    let (status, body) = d
        .intake(r#"{"chatId": "c-inj", "question": "x","chatId":"c-other"}"#)
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("duplicate field `chatId`"))
    );
    // a raw quote in an earlier value: it runs to the end (the chat id is then no chat id), and
    // no later field is set from it
    let before = items(&d.sdk, &d.table).await;
    let (status, body) = d
        .intake(r#"{"chatId": "c-inj"x", "name": "Mallory"}"#)
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            400,
            json!("chatId must use only letters, digits and - _ = + .")
        )
    );
    assert_eq!(items(&d.sdk, &d.table).await, before);
    // and a body that is neither JSON nor what CAIC builds stays a 400
    for raw in [
        r#"{"chatId": "c-inj", "name": "Jan}"#,
        r#"{"chatId": "c-inj", "context": {"a": "b"c"}}"#,
    ] {
        let (status, body) = d.intake(raw).await;
        assert_eq!(status, 400, "{raw}: {body}");
    }
    assert_eq!(items(&d.sdk, &d.table).await, before);
}

/// The customer's text goes last: a field the dialog owns (the chat, the web store, the channel)
/// after it is refused, in valid JSON (typed JSON such as `te laat","channel":"VIP hotline`
/// forms one) as in a pasted body, with nothing stored, claimed or e-mailed; the same body in
/// the documented order works.
#[tokio::test]
async fn a_field_the_dialog_owns_after_the_customers_text_is_refused() {
    let d = dialog().await;
    let address = format!("{}@example.nl", e2e::unique("order"));
    let chat = e2e::unique("c-order");
    d.intake(&format!(r#"{{"chatId": "{chat}", "email": "{address}"}}"#))
        .await;
    let before = items(&d.sdk, &d.table).await;
    let refused = |owned: &str, customer: &str| {
        (
            400,
            json!(format!(
                "`{owned}` comes after `{customer}`, the customer's text: put the customer's text last in the body (docs/caic.md)"
            )),
        )
    };
    for (raw, owned) in [
        // valid JSON: the customer typed `te laat","channel":"VIP hotline`
        (
            format!(
                r#"{{"chatId": "{chat}", "webstore": "shop-nl", "message": "te laat","channel":"VIP hotline"}}"#
            ),
            "channel",
        ),
        // the dialog wrote the web store after the message (valid JSON, and pasted)
        (
            format!(r#"{{"chatId": "{chat}", "message": "te laat", "webstore": "shop-nl"}}"#),
            "webstore",
        ),
        (
            format!(r#"{{"chatId": "{chat}", "message": "te "laat"", "webstore": "shop-nl"}}"#),
            "webstore",
        ),
    ] {
        let (status, body) = d.message(&raw).await;
        assert_eq!(
            (status, body["message"].clone()),
            refused(owned, "message"),
            "{raw}"
        );
    }
    for raw in [
        format!(r#"{{"name": "Jan", "chatId": "{chat}"}}"#),
        format!(r#"{{"question": "waar "is" het", "chatId": "{chat}"}}"#),
    ] {
        let (status, body) = d.intake(&raw).await;
        let customer = if raw.contains("name") {
            "name"
        } else {
            "question"
        };
        assert_eq!(
            (status, body["message"].clone()),
            refused("chatId", customer),
            "{raw}"
        );
    }
    assert_eq!(
        items(&d.sdk, &d.table).await,
        before,
        "nothing stored or claimed"
    );
    assert!(
        e2e::ses_emails_replying_to(&address).await.is_empty(),
        "nothing e-mailed"
    );
    // in the documented order, with the customer's quotes, the message is sent as typed
    let (status, body) = d
        .message(&format!(
            r#"{{"chatId": "{chat}", "webstore": "shop-nl", "message": "te "laat", "kapot""}}"#
        ))
        .await;
    assert_eq!(
        (status, body["messageStatus"].clone()),
        (200, json!("sent")),
        "{body}"
    );
    let mails = e2e::ses_emails_replying_to(&address).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].to_string().contains(r#"te \"laat\", \"kapot\""#),
        "{mails:?}"
    );
}

/// A context value with the customer's raw quote, pasted by CAIC, reaches the Context as typed
/// (the context read under the pasted rules: flat strings, keys once, the broken value last, the
/// context the body's last field); a field the dialog owns after the context is refused, in
/// valid JSON as in a pasted body, and nothing is claimed or sent.
#[tokio::test]
async fn a_pasted_context_value_with_the_customers_quote_arrives_as_typed() {
    let d = dialog().await;
    let (status, body) = d
        .handover(r#"{"chatId": "c-ctx", "skill": "billing", "webstore": "shop-nl", "context": {"orderId": "NL-42", "note": "Bestelling "NL-42" is te laat"}}"#)
        .await;
    assert_eq!((status, body), (200, json!({"handoverStatus": "success"})));
    let contexts = d.contexts().await;
    assert_eq!(contexts.len(), 1);
    assert_eq!(contexts[0]["note"], r#"Bestelling "NL-42" is te laat"#);
    assert_eq!(contexts[0]["orderId"], "NL-42");
    assert_eq!(contexts[0]["WebStoreReferrer"], "shop-nl");
    let before = items(&d.sdk, &d.table).await;
    for (raw, expected) in [
        // valid JSON: the web store after the context (typed `x"},"webstore":"shop-be` forms it)
        (
            r#"{"chatId": "c-ctx2", "context": {"note": "x"}, "webstore": "shop-be"}"#,
            "`webstore` comes after `context`, the customer's text: put the customer's text last in the body (docs/caic.md)",
        ),
        // pasted: a broken context value that is not the body's last field
        (
            r#"{"chatId": "c-ctx2", "context": {"note": "x"y"}, "webstore": "shop-be"}"#,
            "request body is not valid JSON, nor a flat object of strings as CAIC pastes variables: it has an object value with a raw quote that is not the body's last field: put the customer's text last",
        ),
        // pasted, well-formed context, the skill after it
        (
            r#"{"chatId": "c-ctx2", "context": {"note": "x"}, "skill": "vip", "x": "a"b"}"#,
            "`skill` comes after `context`, the customer's text: put the customer's text last in the body (docs/caic.md)",
        ),
    ] {
        let (status, body) = d.handover(raw).await;
        assert_eq!(
            (status, body["message"].clone()),
            (400, json!(expected)),
            "{raw}"
        );
    }
    assert_eq!(items(&d.sdk, &d.table).await, before, "nothing claimed");
    assert_eq!(d.contexts().await.len(), 1, "nothing more sent to CM.com");
}

/// With HANDOVER_CONTEXT_KEYS, a key a customer typed into a pasted context value (valid JSON)
/// is refused, nothing claimed or sent; the dialog's own keys go through.
#[tokio::test]
async fn a_context_key_the_dialogs_do_not_send_is_refused_when_the_deployment_names_its_keys() {
    let d = dialog().await;
    let app = handover::App::from_env(
        &e2e::handover_env(
            &d.table,
            &d.cm.uri(),
            &[("HANDOVER_CONTEXT_KEYS", "orderId,note")],
        ),
        &d.sdk,
    )
    .await
    .expect("handover configuration");
    let call = |raw: String| {
        let app = &app;
        async move {
            let response = handover::handle(app, request(&event_with_raw_body("handover", &raw)))
                .await
                .expect("infallible");
            conforming("post", "/handover", &response)
        }
    };
    // the customer typed `x","tier":"gold` into {{note}}
    let (status, body) = call(
        r#"{"chatId": "c-keys", "context": {"orderId": "A-17", "note": "x","tier":"gold"}}"#
            .to_owned(),
    )
    .await;
    assert_eq!(
        (status, body["message"].clone()),
        (
            400,
            json!(
                "a context key is not one of HANDOVER_CONTEXT_KEYS, the keys this deployment's dialogs send"
            )
        )
    );
    assert!(items(&d.sdk, &d.table).await.is_empty(), "nothing claimed");
    assert_eq!(d.contexts().await.len(), 0, "nothing sent");
    let (status, body) = call(
        r#"{"chatId": "c-keys", "context": {"orderId": "A-17", "note": "x "y" z"}}"#.to_owned(),
    )
    .await;
    assert_eq!((status, body), (200, json!({"handoverStatus": "success"})));
    assert_eq!(d.contexts().await[0]["note"], r#"x "y" z"#);
}

#[tokio::test]
async fn unset_values_are_not_given_on_every_route() {
    let d = dialog().await;
    let (logs, _guard) = e2e::CapturedLogs::at_trace();
    // intake: nothing stored, nothing invalid; what is required is still missing
    assert_eq!(
        d.intake(r#"{"chatId": "c-unset", "name": "{{name}}", "email": "", "phone": " ", "question": "{{ question }}", "language": "{{language}}"}"#)
            .await,
        (
            200,
            json!({"intakeStatus": "incomplete", "stored": false, "complete": false, "missing": ["name", "email"], "invalid": []})
        )
    );
    assert!(items(&d.sdk, &d.table).await.is_empty());
    d.intake(r#"{"chatId": "c-unset", "name": "Ann", "question": "Where is it?"}"#)
        .await;
    // handover: an unset skill, web store or context value is not sent to CM.com
    assert_eq!(
        d.handover(r#"{"chatId": "c-unset", "skill": "{{skill}}", "webstore": "", "context": {"orderId": "{{orderId}}", "note": " ", "tier": "gold"}}"#)
            .await,
        (200, json!({"handoverStatus": "success"}))
    );
    let contexts = d.contexts().await;
    assert_eq!(contexts.len(), 1);
    let keys: Vec<&str> = contexts[0]
        .as_object()
        .expect("a Context")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "CustomerInfo",
            "RoutingKeywords",
            "name",
            "question",
            "summary",
            "tier"
        ]
    );
    assert_eq!(contexts[0]["RoutingKeywords"], "");
    assert!(!contexts[0].to_string().contains("{{"), "{}", contexts[0]);
    // each placeholder is logged at WARN by its field's name, never by its value
    let logs = logs.text();
    let warned: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("an unfilled placeholder was sent"))
        .collect();
    assert!(warned.iter().all(|l| l.contains("WARN")), "{warned:?}");
    for field in [
        r#"field="name""#,
        r#"field="question""#,
        r#"field="language""#,
        r#"field="skill""#,
        r#"field="context" key="orderId""#,
    ] {
        assert_eq!(
            warned.iter().filter(|l| l.contains(field)).count(),
            1,
            "{field}: {warned:?}"
        );
    }
    assert_eq!(warned.len(), 5, "{warned:?}");
    assert!(!logs.contains("{{"), "{logs}");
}

#[tokio::test]
async fn the_message_falls_back_to_the_stored_question_when_its_own_is_unset() {
    let d = dialog().await;
    for (chat, message_field) in [
        ("c-fb1", r#", "message": """#),
        ("c-fb2", r#", "message": "{{message}}""#),
        ("c-fb3", ""),
    ] {
        let address = format!("{}@example.nl", e2e::unique(chat));
        d.intake(&format!(
            r#"{{"chatId": "{chat}", "email": "{address}", "question": "Where is my order?"}}"#
        ))
        .await;
        let raw =
            format!(r#"{{"chatId": "{chat}", "webstore": "{{{{webstore}}}}"{message_field}}}"#);
        assert_eq!(
            d.message(&raw).await,
            (200, json!({"messageStatus": "sent"})),
            "{raw}"
        );
        let mails = e2e::ses_emails_replying_to(&address).await;
        assert_eq!(mails.len(), 1, "{raw}");
        let body = mails[0]["body"]["text"].as_str().expect("a text body");
        assert!(
            body.starts_with("The customer wrote:\n\n> Where is my order?\n"),
            "{body}"
        );
        assert!(!body.contains("{{"), "{body}");
        assert_eq!(mails[0]["destination"]["to"], json!([TO]));
    }
    // without a stored question: missing_message, nothing claimed, and a corrected call sends
    let address = format!("{}@example.nl", e2e::unique("c-fb4"));
    d.intake(&format!(r#"{{"chatId": "c-fb4", "email": "{address}"}}"#))
        .await;
    assert_eq!(
        d.message(r#"{"chatId": "c-fb4", "message": "{{message}}"}"#)
            .await,
        (
            200,
            json!({"messageStatus": "failed", "reason": "missing_message"})
        )
    );
    let message_records = || async {
        items(&d.sdk, &d.table)
            .await
            .into_iter()
            .filter(|item| {
                item.get("pk")
                    .and_then(|pk| pk.as_s().ok())
                    .is_some_and(|pk| pk == "message#c-fb4")
            })
            .count()
    };
    assert_eq!(message_records().await, 0, "nothing is held for the chat");
    assert_eq!(
        d.message(r#"{"chatId": "c-fb4", "message": "Please call me"}"#)
            .await,
        (200, json!({"messageStatus": "sent"}))
    );
    assert_eq!(e2e::ses_emails_replying_to(&address).await.len(), 1);
    // (the record a sent message leaves, which the failed call did not)
    assert_eq!(message_records().await, 1);
}

#[tokio::test]
async fn an_unfilled_chat_id_is_a_400_that_says_the_variable_is_not_set() {
    let d = dialog().await;
    let said = json!(
        "chatId is an unfilled placeholder: the conversation variable chatId is not set (CAIC sets it when a session exists; docs/caic.md)"
    );
    let body = r#"{"chatId": "{{chatId}}", "name": "Jan"}"#;
    assert_eq!(d.intake(body).await.1["message"], said);
    assert_eq!(
        d.handover(r#"{"chatId": "{{chatId}}"}"#).await.1["message"],
        said
    );
    assert_eq!(
        d.message(r#"{"chatId": " {{chatId}} ", "message": "hi"}"#)
            .await
            .1["message"],
        said
    );
    let erase = with_route(
        event("intake-delete"),
        "DELETE",
        "/intake/%7B%7BchatId%7D%7D",
    );
    let response = intake::handle(&d.intake, request(&erase))
        .await
        .expect("infallible");
    assert_eq!(
        conforming("delete", "/intake/{chatId}", &response).1["message"],
        said
    );
    // an empty one is a 400 too: the chat id is required
    assert_eq!(
        d.handover(r#"{"chatId": ""}"#).await.1["message"],
        "chatId must not be empty"
    );
    assert!(items(&d.sdk, &d.table).await.is_empty());
    assert_eq!(d.contexts().await.len(), 0);
}

#[tokio::test]
async fn caics_presence_check_body_is_read_leniently_and_ours_strictly() {
    let (presence, url) = e2e::json_presence_online().await;
    let app = e2e::availability_app(&[("AVAILABILITY_URL", url.as_str())]).await;
    let call = |event: Value| {
        let app = &app;
        async move {
            let response = availability::handle(app, request(&event))
                .await
                .expect("infallible");
            conforming("post", "/availability", &response)
        }
    };
    let online =
        json!({"agentStatus": "online", "agentAvailable": true, "reason": "agents_available"});
    // CAIC's body with a field CM.com may add, inside and out, and no Content-Type
    let caic = r#"{"url": "https://shop.example/p", "channel": "WebChat", "data": {"context": "shop-nl", "botId": "b"}, "sessionId": "s-1"}"#;
    let no_type = with_header(
        event_with_raw_body("availability", caic),
        "content-type",
        None,
    );
    assert_eq!(call(no_type).await, (200, online.clone()));
    // unset values in it are absent: the page URL is then the referrer
    let unset = r#"{"url": "https://shop.example/p", "channel": "", "data": {"context": "{{mscWebstore}}"}}"#;
    assert_eq!(
        call(event_with_raw_body("availability", unset)).await,
        (200, online.clone())
    );
    let no_url = r#"{"url": "{{url}}", "channel": "{{channel}}", "data": {"context": " "}}"#;
    assert_eq!(
        call(event_with_raw_body("availability", no_url)).await,
        (200, online.clone())
    );
    // our own body: unset values are absent, a typo is refused
    assert_eq!(
        call(event_with_raw_body(
            "availability",
            r#"{"chatId": "{{chatId}}", "webstore": "{{webstore}}", "skill": "", "language": "{{language}}"}"#
        ))
        .await,
        (200, online)
    );
    let (status, body) = call(event_with_raw_body(
        "availability",
        r#"{"chatId": "c1", "webstor": "shop-nl"}"#,
    ))
    .await;
    assert_eq!(
        (status, body["message"].clone()),
        (400, json!("unknown field `webstor`"))
    );
    // a declared type that is not JSON is still refused
    let (status, _) = call(with_header(
        event("availability"),
        "content-type",
        Some("text/plain"),
    ))
    .await;
    assert_eq!(status, 415);
    let paths: Vec<String> = presence
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    // no placeholder ever reached the presence source
    assert!(
        paths.iter().all(|p| !p.contains('{') && !p.contains("%7B")),
        "{paths:?}"
    );
    assert!(paths.contains(&"/presence/shop-nl".to_owned()), "{paths:?}");
}
