//! Every channel and every team: availability asks MSC presence on the chat's channel, answers a
//! channel without agents offline without asking, and, when the requested web store cannot take
//! a chat, hands it to the first of its overflow web stores that can; the handover follows that
//! decision, and the offline branch's e-mail still goes to the requested web store's mailbox.
//! Through the lambda_http entry points, with DynamoDB Local, a local MSC presence API and
//! Routing Control (wiremock, in MSC's real shapes) and the local SES server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use e2e::{SCHEDULING_MARGIN, conforming, env, event_with_body, fresh_table, request, sdk};
use serde_json::{Value, json};
use shared::rules::clock::FixedClock;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "msc-api-key-for-tests";

/// Monday 2026-12-07 10:00 in Amsterdam (09:00Z): the time of every app these tests build, so
/// that a route availability writes is read by the handover on the same clock, whatever the day.
const MONDAY_10: u64 = 1_796_634_000;

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(MONDAY_10))
}

/// Open Monday to Friday 09:00-17:00 in Amsterdam. shop-nl overflows to shop-be (open from
/// 12:00), then shop-fr; shop-de (open from 11:00) overflows to shop-at (from 10:30 in Vienna),
/// then shop-ch.
const HOURS: &str = r#"{
  "timezone": "Europe/Amsterdam",
  "weekly": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
             "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]]},
  "webstores": {
    "shop-nl": {"overflow": ["shop-be", "shop-fr"]},
    "shop-de": {"weekly": {"mon": [["11:00","17:00"]]}, "overflow": ["shop-at", "shop-ch"]},
    "shop-at": {"timezone": "Europe/Vienna", "weekly": {"mon": [["10:30","17:00"]]}},
    "shop-be": {"weekly": {"mon": [["12:00","17:00"]]}}
  }
}"#;

/// A local MSC presence API answering `Online`/`Offline` per referrer (anything else: Offline),
/// as MSC does: plain text, whatever the channel.
async fn presence(online: &[&str], offline: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    for (referrers, word) in [(online, "Online"), (offline, "Offline")] {
        for referrer in referrers {
            Mock::given(method("GET"))
                .and(path("/api/v1"))
                .and(query_param("referrer", *referrer))
                .respond_with(ResponseTemplate::new(200).set_body_string(word))
                .mount(&server)
                .await;
        }
    }
    server
}

/// The `Channel` and `referrer` of each presence request `server` received, in order.
async fn asked(server: &MockServer) -> Vec<(String, String)> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let param = |name: &str| {
                r.url
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            (param("Channel"), param("referrer"))
        })
        .collect()
}

async fn availability_app(
    sdk: &SdkConfig,
    presence: &MockServer,
    extra: &[(&str, &str)],
) -> availability::App {
    let url = format!("{}/api/v1", presence.uri());
    let mut pairs = vec![
        ("MSC_API_KEY", KEY),
        ("MSC_PRESENCE_URL", url.as_str()),
        ("AVAILABILITY_CACHE_SECONDS", "0"),
    ];
    pairs.extend_from_slice(extra);
    availability::App::from_env(&env(&pairs), sdk)
        .await
        .expect("valid configuration")
        .with_clock(clock())
}

async fn ask(app: &availability::App, body: Value) -> (u16, Value) {
    let response = availability::handle(app, request(&event_with_body("availability", body)))
        .await
        .expect("infallible");
    conforming("post", "/availability", &response)
}

fn verdict(status: &str, reason: &str) -> Value {
    json!({"agentStatus": status, "agentAvailable": status == "online", "reason": reason})
}

#[tokio::test]
async fn presence_is_asked_on_the_channel_each_documented_name_maps_to() {
    let server = presence(&["shop-nl"], &[]).await;
    let app = availability_app(&sdk().await, &server, &[]).await;
    let mut expected = Vec::new();
    let mut names: Vec<(&str, &str)> = shared::setup::channel::MSC_PRESENCE_CHANNELS
        .iter()
        .map(|name| (*name, *name))
        .collect();
    names.extend([
        ("CXWebConversations", "WebChat"),
        ("iMessage", "Apple Business Chat"),
        ("whatsapp", "WhatsApp"),
    ]);
    for (name, channel) in &names {
        let answer = ask(&app, json!({"webstore": "shop-nl", "channel": name})).await;
        assert_eq!(
            answer,
            (200, verdict("online", "agents_available")),
            "{name}"
        );
        expected.push(((*channel).to_owned(), "shop-nl".to_owned()));
    }
    // none given: MSC_CHANNEL's default, WebChat
    ask(&app, json!({"webstore": "shop-nl"})).await;
    expected.push(("WebChat".to_owned(), "shop-nl".to_owned()));
    assert_eq!(asked(&server).await, expected);

    // MSC_CHANNEL moves the default; MSC_CHANNELS maps a name of the shop's own
    let app = availability_app(
        &sdk().await,
        &server,
        &[
            ("MSC_CHANNEL", "WhatsApp"),
            ("MSC_CHANNELS", r#"{"CXWebConversations": "Chat"}"#),
        ],
    )
    .await;
    let before = asked(&server).await.len();
    ask(&app, json!({"webstore": "shop-nl"})).await;
    ask(
        &app,
        json!({"webstore": "shop-nl", "channel": "CXWebConversations"}),
    )
    .await;
    assert_eq!(
        asked(&server).await[before..],
        [
            ("WhatsApp".to_owned(), "shop-nl".to_owned()),
            ("Chat".to_owned(), "shop-nl".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_channel_without_agents_is_offline_and_presence_is_not_asked() {
    let server = presence(&["shop-nl"], &[]).await;
    let app = availability_app(
        &sdk().await,
        &server,
        &[("MSC_CHANNELS", r#"{"Instagram": null}"#)],
    )
    .await;
    for channel in ["Telegram Messenger", "Viber", "Carrier Pigeon", "Instagram"] {
        assert_eq!(
            ask(&app, json!({"webstore": "shop-nl", "channel": channel})).await,
            (200, verdict("offline", "channel_not_served")),
            "{channel}"
        );
    }
    assert_eq!(asked(&server).await, []);
    // and a channel name is bounded, like every field
    let (status, body) = ask(&app, json!({"channel": "x".repeat(65)})).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
}

#[tokio::test]
async fn answers_are_remembered_per_channel() {
    let server = MockServer::start().await;
    for (channel, word) in [("WebChat", "Online"), ("WhatsApp", "Offline")] {
        Mock::given(method("GET"))
            .and(query_param("Channel", channel))
            .respond_with(ResponseTemplate::new(200).set_body_string(word))
            .mount(&server)
            .await;
    }
    let app = availability_app(
        &sdk().await,
        &server,
        &[("AVAILABILITY_CACHE_SECONDS", "60")],
    )
    .await;
    let web = json!({"webstore": "shop-nl", "channel": "WebChat"});
    let whatsapp = json!({"webstore": "shop-nl", "channel": "WhatsApp"});
    assert_eq!(ask(&app, web.clone()).await.1["agentStatus"], "online");
    assert_eq!(
        ask(&app, whatsapp.clone()).await.1["agentStatus"],
        "offline"
    );
    assert_eq!(ask(&app, web).await.1["agentStatus"], "online");
    assert_eq!(ask(&app, whatsapp).await.1["agentStatus"], "offline");
    // each channel asked once, then remembered apart
    assert_eq!(asked(&server).await.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Overflow

struct Teams {
    sdk: SdkConfig,
    table: String,
    presence: MockServer,
    availability: availability::App,
}

async fn teams(online: &[&str], offline: &[&str]) -> Teams {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let presence = presence(online, offline).await;
    let availability = availability_app(
        &sdk,
        &presence,
        &[("BUSINESS_HOURS", HOURS), ("TABLE_NAME", table.as_str())],
    )
    .await;
    Teams {
        sdk,
        table,
        presence,
        availability,
    }
}

/// Availability's answer for `chat` asking about `webstore`, as the dialog's step 1 sends it.
async fn ask_about(t: &Teams, chat: &str, webstore: &str) -> (u16, Value) {
    ask(
        &t.availability,
        json!({"chatId": chat, "webstore": webstore}),
    )
    .await
}

/// Hands `chat` over with `body`'s fields through a handover app on the teams' table; returns
/// the answer and the Context CM.com received.
async fn hand_over(t: &Teams, body: Value) -> (Value, Value) {
    let cm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&cm)
        .await;
    let app = handover::App::from_env(&e2e::handover_env(&t.table, &cm.uri(), &[]), &t.sdk)
        .await
        .expect("valid configuration")
        .with_clock(clock());
    let response = handover::handle(&app, request(&event_with_body("handover", body)))
        .await
        .expect("infallible");
    let (_, answer) = conforming("post", "/handover", &response);
    let sent = cm.received_requests().await.unwrap_or_default();
    assert_eq!(sent.len(), 1, "one Routing Control request: {answer}");
    let routing: Value = serde_json::from_slice(&sent[0].body).expect("JSON");
    (answer, routing["Context"].clone())
}

#[tokio::test]
async fn an_offline_web_store_overflows_to_the_first_that_is_online_and_the_handover_follows() {
    let t = teams(&["shop-be", "shop-fr"], &["shop-nl"]).await;
    // shop-be opens at 12:00: at 10:00 shop-fr, the next in line, takes the chat
    let chat = e2e::unique("chat-overflow");
    let answer = ask(
        &t.availability,
        json!({"chatId": chat, "webstore": "shop-nl", "channel": "WhatsApp"}),
    )
    .await;
    assert_eq!(
        answer,
        (
            200,
            json!({"agentStatus": "online", "agentAvailable": true, "reason": "agents_available",
                   "webstore": "shop-fr", "overflowFrom": "shop-nl"})
        )
    );
    // shop-nl and shop-fr asked on the chat's channel; shop-be, closed, not at all
    let mut presence = asked(&t.presence).await;
    presence.sort();
    assert_eq!(
        presence,
        [
            ("WhatsApp".to_owned(), "shop-fr".to_owned()),
            ("WhatsApp".to_owned(), "shop-nl".to_owned())
        ]
    );

    // the dialog's handover, unchanged: the web store it asked about
    let (answer, context) = hand_over(
        &t,
        json!({"chatId": chat, "webstore": "shop-nl", "skill": "billing", "channel": "WhatsApp"}),
    )
    .await;
    assert_eq!(answer, json!({"handoverStatus": "success"}));
    assert_eq!(context["WebStoreReferrer"], "shop-fr");
    assert_eq!(context["webstore"], "shop-fr");
    assert_eq!(context["overflowFrom"], "shop-nl");
    assert_eq!(context["channel"], "WhatsApp");
    let summary = context["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains(
            r#", channel "WhatsApp", skill "billing", overflowed from web store "shop-nl"."#
        ),
        "{summary}"
    );

    // a handover that names another web store goes there: the dialog chose
    let other = e2e::unique("chat-overflow-chosen");
    ask(
        &t.availability,
        json!({"chatId": other, "webstore": "shop-nl"}),
    )
    .await;
    let (_, context) = hand_over(&t, json!({"chatId": other, "webstore": "shop-de"})).await;
    assert_eq!(context["WebStoreReferrer"], "shop-de");
    assert_eq!(context.get("overflowFrom"), None);
}

#[tokio::test]
async fn a_web_store_closed_by_its_hours_overflows_to_one_that_is_open() {
    // at 10:00 shop-de (from 11:00) and shop-at (from 10:30 Vienna) are closed, shop-ch open
    let t = teams(&["shop-de", "shop-at", "shop-ch"], &[]).await;
    let chat = e2e::unique("chat-closed");
    assert_eq!(
        ask_about(&t, &chat, "shop-de").await,
        (
            200,
            json!({"agentStatus": "online", "agentAvailable": true, "reason": "agents_available",
                   "webstore": "shop-ch", "overflowFrom": "shop-de"})
        )
    );
    // the closed ones were not asked
    assert_eq!(
        asked(&t.presence).await,
        [("WebChat".to_owned(), "shop-ch".to_owned())]
    );
    let (_, context) = hand_over(&t, json!({"chatId": chat})).await;
    assert_eq!(context["WebStoreReferrer"], "shop-ch");
    assert_eq!(context["overflowFrom"], "shop-de");
}

#[tokio::test]
async fn when_no_team_can_take_it_the_answer_is_offline_with_the_earliest_opening() {
    // everyone offline; shop-be (closed until 12:00) is the only one with a next opening
    let t = teams(&[], &["shop-nl", "shop-be", "shop-fr"]).await;
    let chat = e2e::unique("chat-nobody");
    assert_eq!(
        ask_about(&t, &chat, "shop-nl").await,
        (200, verdict("offline", "no_agents_available"))
    );
    // closed itself (until 11:00): the earliest opening among it and its overflow web stores,
    // shop-at's at 10:30 Vienna time (shop-ch is open, but its agents are offline)
    let t = teams(&[], &["shop-ch"]).await;
    let chat = e2e::unique("chat-nobody-closed");
    assert_eq!(
        ask_about(&t, &chat, "shop-de").await,
        (
            200,
            json!({"agentStatus": "offline", "agentAvailable": false, "reason": "outside_business_hours",
                   "nextOpening": "2026-12-07T10:30:00+01:00", "nextOpeningText": "today at 10:30"})
        )
    );

    // the offline branch's e-mail goes to the requested web store's mailbox
    let intake = intake::App::from_env(&env(&[("TABLE_NAME", t.table.as_str())]), &t.sdk)
        .await
        .expect("intake config")
        .with_clock(clock());
    let address = format!("{}@example.nl", e2e::unique("nobody"));
    let response = intake::handle(
        &intake,
        request(&event_with_body(
            "intake-email",
            json!({"chatId": chat, "email": address}),
        )),
    )
    .await
    .expect("infallible");
    assert_eq!(conforming("post", "/intake", &response).1["stored"], true);
    let message = message::App::from_env(
        &env(&[
            ("TABLE_NAME", t.table.as_str()),
            ("MESSAGE_FROM", "chat@shop.example"),
            ("MESSAGE_TO", "support@shop.example"),
            (
                "MESSAGE_TO_BY_WEBSTORE",
                r#"{"shop-de": "kundendienst@shop.de", "shop-at": "kundendienst@shop.at"}"#,
            ),
        ]),
        &t.sdk,
    )
    .await
    .expect("message config")
    .with_clock(clock());
    let response = message::handle(
        &message,
        request(&event_with_body(
            "message",
            json!({"chatId": chat, "webstore": "shop-de", "channel": "WhatsApp", "message": "Call me"}),
        )),
    )
    .await
    .expect("infallible");
    assert_eq!(
        conforming("post", "/message", &response).1,
        json!({"messageStatus": "sent"})
    );
    let mails = e2e::ses_emails_replying_to(&address).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0]["destination"]["to"],
        json!(["kundendienst@shop.de"])
    );
    let text = mails[0]["body"]["text"].as_str().unwrap_or_default();
    assert!(text.contains("\nchannel: WhatsApp\n"), "{text}");
}

#[tokio::test]
async fn a_slow_overflow_answer_is_waited_for_only_within_the_budget() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let server = presence(&["shop-fr"], &["shop-nl"]).await;
    // shop-be answers after the budget: in line before shop-fr, it is waited for until then
    Mock::given(method("GET"))
        .and(query_param("referrer", "shop-be"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("Online")
                .set_delay(Duration::from_secs(5)),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let hours = HOURS.replace(
        r#""shop-be": {"weekly": {"mon": [["12:00","17:00"]]}}"#,
        r#""shop-be": {}"#,
    );
    let app = availability_app(
        &sdk,
        &server,
        &[
            ("BUSINESS_HOURS", hours.as_str()),
            ("TABLE_NAME", table.as_str()),
            ("AVAILABILITY_BUDGET_MS", "1000"),
        ],
    )
    .await;
    let started = Instant::now();
    let answer = ask(
        &app,
        json!({"chatId": e2e::unique("chat-slow"), "webstore": "shop-nl"}),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(answer.1["webstore"], "shop-fr", "{answer:?}");
    assert_eq!(answer.1["agentStatus"], "online");
    assert!(
        took < Duration::from_secs(1) + SCHEDULING_MARGIN,
        "answered in {took:?}"
    );
}

#[tokio::test]
async fn without_a_chat_id_nothing_overflows() {
    // CAIC's presence-check webhook sends none, and CAIC's own handover routes on mscWebstore
    let t = teams(&["shop-fr"], &["shop-nl"]).await;
    assert_eq!(
        ask(&t.availability, json!({"url": "https://shop.example/", "channel": "WebChat", "data": {"context": "shop-nl"}})).await,
        (200, verdict("offline", "no_agents_available"))
    );
    assert_eq!(
        ask(&t.availability, json!({"webstore": "shop-nl"})).await,
        (200, verdict("offline", "no_agents_available"))
    );
    assert_eq!(
        asked(&t.presence).await,
        [
            ("WebChat".to_owned(), "shop-nl".to_owned()),
            ("WebChat".to_owned(), "shop-nl".to_owned())
        ]
    );
}

#[tokio::test]
async fn overflow_needs_the_table_and_sane_entries() {
    let sdk = e2e::sdk_at("http://127.0.0.1:9").await;
    let refused = |hours: &'static str, table: Option<&'static str>| {
        let sdk = sdk.clone();
        async move {
            let mut pairs = vec![("BUSINESS_HOURS", hours)];
            if let Some(table) = table {
                pairs.push(("TABLE_NAME", table));
            }
            availability::App::from_env(&env(&pairs), &sdk)
                .await
                .err()
                .map(|e| e.to_string())
        }
    };
    assert_eq!(
        refused(HOURS, None).await.as_deref(),
        Some(
            "configuration: TABLE_NAME is not set, but BUSINESS_HOURS names overflow web stores: availability records where a chat overflows to in the table, for the handover"
        )
    );
    assert_eq!(refused(HOURS, Some("t")).await, None);
    for (hours, problem) in [
        (
            r#"{"timezone":"UTC","weekly":{},"webstores":{"a":{"overflow":["a"]}}}"#,
            "webstores.a.overflow: a web store cannot overflow to itself",
        ),
        (
            r#"{"timezone":"UTC","weekly":{},"webstores":{"a":{"overflow":["b","b"]}}}"#,
            "webstores.a.overflow: `b` is named twice",
        ),
        (
            r#"{"timezone":"UTC","weekly":{},"webstores":{"a":{"overflow":["b","c","d","e","f","g"]}}}"#,
            "webstores.a.overflow: at most 5 web stores",
        ),
        (
            r#"{"timezone":"UTC","weekly":{},"webstores":{"a":{"overflow":[""]}}}"#,
            "webstores.a.overflow: `` is not a web store name: it must not be empty",
        ),
    ] {
        let got = refused(hours, Some("t")).await.unwrap_or_default();
        assert!(got.ends_with(problem), "{got}");
    }
}

#[tokio::test]
async fn a_route_that_cannot_be_recorded_is_not_promised() {
    // the table cannot be reached: the handover could not know where the chat goes, so the
    // answer is the requested web store's own, within the budget
    let sdk = e2e::sdk_at(&e2e::closed_port_url()).await;
    let presence = presence(&["shop-fr"], &["shop-nl"]).await;
    let app = availability_app(
        &sdk,
        &presence,
        &[
            ("BUSINESS_HOURS", HOURS),
            ("TABLE_NAME", "unreachable"),
            ("AVAILABILITY_BUDGET_MS", "1000"),
        ],
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        ask(
            &app,
            json!({"chatId": "chat-unrecorded", "webstore": "shop-nl"})
        )
        .await,
        (200, verdict("offline", "no_agents_available"))
    );
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1) + SCHEDULING_MARGIN,
        "answered in {took:?}"
    );
}

#[tokio::test]
async fn a_json_presence_source_is_told_the_channel_where_its_url_asks_for_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/presence/shop-nl"))
        .and(query_param("channel", "Apple Business Chat"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available": true})))
        .expect(1)
        .mount(&server)
        .await;
    let url = format!("{}/presence/{{webstore}}?channel={{channel}}", server.uri());
    let app = availability::App::from_env(
        &env(&[("AVAILABILITY_URL", url.as_str())]),
        &e2e::sdk_at("http://127.0.0.1:9").await,
    )
    .await
    .expect("valid configuration");
    assert_eq!(
        ask(&app, json!({"webstore": "shop-nl", "channel": "iMessage"})).await,
        (200, verdict("online", "agents_available"))
    );
}

#[tokio::test]
async fn caics_presence_check_is_asked_on_msc_channel_as_before() {
    // CAIC's webhook always says WebChat; a deployment whose MSC counts web chat agents under
    // Chat set MSC_CHANNEL=Chat, and that still decides
    let server = presence(&["shop-nl"], &[]).await;
    let app = availability_app(&sdk().await, &server, &[("MSC_CHANNEL", "Chat")]).await;
    let caic = json!({"url": "https://shop.example/help", "channel": "WebChat", "data": {"context": "shop-nl"}});
    assert_eq!(
        ask(&app, caic).await,
        (200, verdict("online", "agents_available"))
    );
    assert_eq!(
        asked(&server).await,
        [("Chat".to_owned(), "shop-nl".to_owned())]
    );
}

#[tokio::test]
async fn an_unset_channel_variable_is_not_given() {
    // CAIC pastes an unset {{channel}} as it is: availability asks on MSC_CHANNEL, the handover
    // names no channel
    let t = teams(&["shop-nl"], &[]).await;
    let chat = e2e::unique("chat-unset-channel");
    assert_eq!(
        ask(
            &t.availability,
            json!({"chatId": chat, "webstore": "shop-nl", "channel": "{{channel}}"})
        )
        .await,
        (200, verdict("online", "agents_available"))
    );
    // shop-nl on the default channel; its open overflow shop-fr is asked side by side, on the
    // same channel, but shop-nl's answer (online) ends the wait: shop-fr's question is dropped,
    // and whether it reached the server first is a race, so only its channel is checked
    let presence = asked(&t.presence).await;
    assert!(
        presence.contains(&("WebChat".to_owned(), "shop-nl".to_owned())),
        "{presence:?}"
    );
    assert!(
        presence
            .iter()
            .all(|(channel, webstore)| channel == "WebChat"
                && ["shop-nl", "shop-fr"].contains(&webstore.as_str())),
        "{presence:?}"
    );
    let (answer, context) = hand_over(
        &t,
        json!({"chatId": chat, "webstore": "shop-nl", "channel": "{{channel}}"}),
    )
    .await;
    assert_eq!(answer, json!({"handoverStatus": "success"}));
    assert_eq!(context.get("channel"), None);
    assert!(
        !context["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("channel"),
        "{context}"
    );
}

/// Each channel reaches CM.com's router through an adapter of its own: a chat on a channel of
/// `CM_ROUTING_MUTATIONS_BY_CHANNEL` is handed over with that channel's mutations, every other
/// chat (web chat, no channel, an unset `{{channel}}`) with `CM_ROUTING_MUTATIONS`.
#[tokio::test]
async fn a_whatsapp_handover_sends_its_adapters_mutations_and_a_web_chat_the_deployments() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let cm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&cm)
        .await;
    let whatsapp = json!([
        {"$type": "ruleMutation", "action": "Enable", "operator": "And",
         "sourceAdapterId": "whatsapp-adapter", "targetAdapterId": "msc-adapter"},
        {"$type": "disableComponent", "ComponentId": "CMBot"}
    ]);
    let by_channel = json!({"WhatsApp": whatsapp}).to_string();
    let app = handover::App::from_env(
        &e2e::handover_env(
            &table,
            &cm.uri(),
            &[("CM_ROUTING_MUTATIONS_BY_CHANNEL", by_channel.as_str())],
        ),
        &sdk,
    )
    .await
    .expect("valid configuration")
    .with_clock(clock());
    let deployments: Value = serde_json::from_str(e2e::MUTATIONS).expect("JSON");
    let cases = [
        (json!("whatsapp"), &whatsapp),
        (json!("WhatsApp"), &whatsapp),
        (json!("CXWebConversations"), &deployments),
        (json!("Instagram"), &deployments),
        (json!("{{channel}}"), &deployments),
        (Value::Null, &deployments),
    ];
    for (i, (channel, expected)) in cases.iter().enumerate() {
        let mut body = json!({"chatId": e2e::unique(&format!("chat-adapter-{i}"))});
        if !channel.is_null() {
            body["channel"] = channel.clone();
        }
        let response = handover::handle(&app, request(&event_with_body("handover", body)))
            .await
            .expect("infallible");
        assert_eq!(
            conforming("post", "/handover", &response).1,
            json!({"handoverStatus": "success"}),
            "{channel}"
        );
        let sent = cm.received_requests().await.unwrap_or_default();
        assert_eq!(sent.len(), i + 1, "{channel}");
        let routing: Value = serde_json::from_slice(&sent[i].body).expect("JSON");
        assert_eq!(&routing["Mutations"], *expected, "{channel}");
    }
}
