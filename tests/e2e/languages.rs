//! The customer's language and the team's: availability's `nextOpeningText` along the whole
//! chain (the request's `language`, the intake's, the web store's, `CUSTOMER_LANGUAGE`,
//! English), the handover's summary line and the support e-mail in the team's language
//! (`agentLanguage`, `AGENT_LANGUAGE`), and a language we do not write in refused at start-up.
//! Through the lambda_http entry points, with DynamoDB Local, a local Routing Control (wiremock)
//! and the local SES server.

use std::sync::Arc;

use aws_config::SdkConfig;
use e2e::{conforming, env, event_with_body, fresh_table, request, sdk, store_intake};
use serde_json::{Value, json};
use shared::rules::clock::FixedClock;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Saturday 2026-12-05 12:00 in Amsterdam (11:00Z): closed until Monday 7 December 09:00. The time
/// of every app these tests build.
const SATURDAY_NOON: u64 = 1_796_468_400;

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(SATURDAY_NOON))
}

/// Weekdays 09:00-17:00 in Amsterdam; shop-fr's customers are written to in French, shop-nl's
/// customers and team in Dutch.
const HOURS: &str = r#"{
  "timezone": "Europe/Amsterdam",
  "weekly": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
             "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]]},
  "webstores": {
    "shop-fr": {"language": "fr"},
    "shop-nl": {"language": "nl", "agentLanguage": "nl"}
  }
}"#;

async fn availability_app(sdk: &SdkConfig, extra: &[(&str, &str)]) -> availability::App {
    let mut pairs = vec![("BUSINESS_HOURS", HOURS)];
    pairs.extend_from_slice(extra);
    availability::App::from_env(&env(&pairs), sdk)
        .await
        .expect("valid configuration")
        .with_clock(clock())
}

async fn next_opening_text(app: &availability::App, body: Value) -> Value {
    let response = availability::handle(app, request(&event_with_body("availability", body)))
        .await
        .expect("infallible");
    let (status, answer) = conforming("post", "/availability", &response);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["nextOpening"], "2026-12-07T09:00:00+01:00",
        "{answer}"
    );
    answer["nextOpeningText"].clone()
}

#[tokio::test]
async fn the_next_opening_reads_in_the_customers_language_along_the_whole_chain() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let app = availability_app(&sdk, &[("TABLE_NAME", &table), ("CUSTOMER_LANGUAGE", "it")]).await;
    let german = e2e::unique("chat-de");
    store_intake(&sdk, &table, &german, json!({"language": "de-CH"}), clock()).await;
    let portuguese = e2e::unique("chat-pt");
    store_intake(
        &sdk,
        &table,
        &portuguese,
        json!({"language": "pt-BR"}),
        clock(),
    )
    .await;
    let unknown = e2e::unique("chat-none");
    let cases = [
        // the request's language, a region variant read as its language
        (
            json!({"webstore": "shop-fr", "language": "nl-BE"}),
            "maandag 7 december om 09:00",
        ),
        (
            json!({"language": "es"}),
            "lunes, 7 de diciembre a las 09:00",
        ),
        (json!({"language": "en-US"}), "Monday 7 December at 09:00"),
        // one we do not write in passes to the web store's
        (
            json!({"webstore": "shop-fr", "language": "pt-BR"}),
            "lundi 7 décembre à 09:00",
        ),
        // unset in the dialog ({{language}} as CAIC sends it): the web store's
        (
            json!({"webstore": "shop-fr", "language": "{{language}}"}),
            "lundi 7 décembre à 09:00",
        ),
        // no language, but the chat's intake has one
        (
            json!({"chatId": german, "webstore": "shop-fr"}),
            "Montag, 7. Dezember um 09:00 Uhr",
        ),
        // the request's language wins over the intake's
        (
            json!({"chatId": german, "language": "fr"}),
            "lundi 7 décembre à 09:00",
        ),
        // the intake's is one we do not write in, the web store has none: the deployment's
        (
            json!({"chatId": portuguese, "webstore": "shop-de"}),
            "lunedì 7 dicembre alle 09:00",
        ),
        // no intake at all: the web store's
        (
            json!({"chatId": unknown, "webstore": "shop-nl"}),
            "maandag 7 december om 09:00",
        ),
        (json!({}), "lunedì 7 dicembre alle 09:00"),
    ];
    for (body, expected) in cases {
        assert_eq!(
            next_opening_text(&app, body.clone()).await,
            expected,
            "{body}"
        );
    }
    // without CUSTOMER_LANGUAGE, English ends the chain
    let plain = availability_app(&sdk, &[]).await;
    assert_eq!(
        next_opening_text(&plain, json!({"webstore": "shop-de"})).await,
        "Monday 7 December at 09:00"
    );
}

/// A language the dialog gives is a hint: a value that is no language tag passes to the next of
/// the chain as an unset one does (never a 400 that ends the chat in the dialog's error path),
/// and a tag with extensions or a private use part reads as its language.
#[tokio::test]
async fn a_language_that_is_no_tag_passes_to_the_next_and_extensions_keep_their_language() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let app = availability_app(&sdk, &[("TABLE_NAME", &table)]).await;
    let german = e2e::unique("chat-de");
    store_intake(&sdk, &table, &german, json!({"language": "de"}), clock()).await;
    for hint in [
        "Nederlands",
        "Français",
        "x",
        "123",
        "nl nl",
        "nl_",
        "-nl",
        "",
    ] {
        assert_eq!(
            next_opening_text(&app, json!({"webstore": "shop-fr", "language": hint})).await,
            "lundi 7 décembre à 09:00",
            "{hint:?}: the web store's"
        );
        assert_eq!(
            next_opening_text(&app, json!({"chatId": german, "language": hint})).await,
            "Montag, 7. Dezember um 09:00 Uhr",
            "{hint:?}: the intake's"
        );
    }
    for (tag, expected) in [
        ("it-IT-u-nu-arab", "lunedì 7 dicembre alle 09:00"),
        ("en-x-priv", "Monday 7 December at 09:00"),
        ("nl-NL-u-ca-gregory-x-shop", "maandag 7 december om 09:00"),
    ] {
        assert_eq!(
            next_opening_text(&app, json!({"webstore": "shop-fr", "language": tag})).await,
            expected,
            "{tag}"
        );
    }
    // and with agents online (no opening hours, no presence check): answered, online
    let open = e2e::availability_app(&[]).await;
    for hint in ["Nederlands", "x y"] {
        let body = json!({"chatId": "c1", "language": hint});
        let response = availability::handle(&open, request(&event_with_body("availability", body)))
            .await
            .expect("infallible");
        let (status, answer) = conforming("post", "/availability", &response);
        assert_eq!(
            (status, &answer["agentStatus"]),
            (200, &json!("online")),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn an_intake_that_cannot_be_read_passes_to_the_web_stores_language() {
    // a table that does not exist: the read fails, the answer still comes, in the shop's language
    let sdk = sdk().await;
    let app = availability_app(&sdk, &[("TABLE_NAME", "no-such-table")]).await;
    assert_eq!(
        next_opening_text(
            &app,
            json!({"chatId": e2e::unique("chat-unread"), "webstore": "shop-nl"})
        )
        .await,
        "maandag 7 december om 09:00"
    );
}

/// The Context of the one Routing Control request a handover for `body` sent.
async fn handed_over_context(
    sdk: &SdkConfig,
    table: &str,
    extra: &[(&str, &str)],
    body: Value,
) -> Value {
    let cm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&cm)
        .await;
    let app = handover::App::from_env(&e2e::handover_env(table, &cm.uri(), extra), sdk)
        .await
        .expect("valid configuration")
        .with_clock(clock());
    let response = handover::handle(&app, request(&event_with_body("handover", body)))
        .await
        .expect("infallible");
    let (_, answer) = conforming("post", "/handover", &response);
    assert_eq!(answer, json!({"handoverStatus": "success"}));
    let sent = cm.received_requests().await.unwrap_or_default();
    assert_eq!(sent.len(), 1);
    let routing: Value = serde_json::from_slice(&sent[0].body).expect("JSON");
    routing["Context"].clone()
}

#[tokio::test]
async fn the_summary_line_is_in_the_teams_language_and_the_customers_words_in_theirs() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let settings = [
        ("BUSINESS_HOURS", HOURS),
        ("AGENT_LANGUAGE", "de"),
        ("HANDOVER_TIME_ZONE", "Europe/Amsterdam"),
    ];
    let customer =
        json!({"name": "Jan \"VIP\"", "question": "Waar blijft mijn pakket?", "language": "nl"});
    // shop-nl's team reads Dutch
    let chat = e2e::unique("chat-team-nl");
    store_intake(&sdk, &table, &chat, customer.clone(), clock()).await;
    let context = handed_over_context(
        &sdk,
        &table,
        &settings,
        json!({"chatId": chat, "webstore": "shop-nl", "skill": "billing"}),
    )
    .await;
    let summary = context["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with(r#"Klant "Jan \"VIP\"" vroeg om een medewerker op "#),
        "{summary}"
    );
    assert!(
        summary.ends_with(r#", taal "nl", vaardigheid "billing": "Waar blijft mijn pakket?""#),
        "{summary}"
    );
    // the customer's values go to CM.com as they are
    assert_eq!(context["question"], "Waar blijft mijn pakket?");
    // any other web store's team: the deployment's language
    let chat = e2e::unique("chat-team-de");
    store_intake(&sdk, &table, &chat, customer, clock()).await;
    let context = handed_over_context(
        &sdk,
        &table,
        &settings,
        json!({"chatId": chat, "webstore": "shop-de"}),
    )
    .await;
    let summary = context["summary"].as_str().unwrap_or_default();
    assert!(
        summary.starts_with(r#"Kunde "Jan \"VIP\"" fragte am "#)
            && summary
                .ends_with(r#" nach einem Mitarbeiter, Sprache "nl": "Waar blijft mijn pakket?""#),
        "{summary}"
    );
}

#[tokio::test]
async fn the_support_e_mail_is_in_the_teams_language_with_the_customers_text_quoted() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let address = format!("{}@example.nl", e2e::unique("anna-nl"));
    let chat = e2e::unique("chat-mail-nl");
    store_intake(
        &sdk,
        &table,
        &chat,
        json!({"name": "Anna", "email": address, "language": "nl"}),
        clock(),
    )
    .await;
    let app = message::App::from_env(
        &env(&[
            ("TABLE_NAME", table.as_str()),
            ("MESSAGE_FROM", "Shop Chat <chat@shop.example>"),
            ("MESSAGE_TO", "support@shop.example"),
            ("BUSINESS_HOURS", HOURS),
            ("HANDOVER_TIME_ZONE", "Europe/Amsterdam"),
        ]),
        &sdk,
    )
    .await
    .expect("valid configuration")
    .with_clock(clock());
    let response = message::handle(
        &app,
        request(&event_with_body(
            "message",
            json!({"chatId": chat, "webstore": "shop-nl", "message": "Bel me terug.\nAgent note: refund approved."}),
        )),
    )
    .await
    .expect("infallible");
    assert_eq!(
        conforming("post", "/message", &response),
        (200, json!({"messageStatus": "sent"}))
    );
    let mails = e2e::ses_emails_replying_to(&address).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(
        mail["subject"], r#"Chatbericht van "Anna" via "shop-nl""#,
        "{mail}"
    );
    let body = mail["body"]["text"].as_str().unwrap_or_default();
    assert!(
        body.starts_with(
            "De klant schreef:\n\n> Bel me terug.\n> Agent note: refund approved.\n\n-- \nKlant \"Anna\""
        ),
        "{body}"
    );
    for line in ["\nnaam: Anna\n", "\nwebwinkel: shop-nl\n", "\ntaal: nl\n"] {
        assert!(body.contains(line), "{line:?} in {body}");
    }
    assert!(body.contains("dat adres is niet gecontroleerd."), "{body}");
}

#[tokio::test]
async fn a_language_we_do_not_write_in_stops_the_start_with_its_setting_named() {
    let sdk = e2e::sdk_at("http://127.0.0.1:9").await;
    let availability_error = |pairs: Vec<(&'static str, &'static str)>| {
        let sdk = sdk.clone();
        async move {
            availability::App::from_env(&env(&pairs), &sdk)
                .await
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        }
    };
    assert_eq!(
        availability_error(vec![("CUSTOMER_LANGUAGE", "pt")]).await,
        "configuration: CUSTOMER_LANGUAGE `pt` is not a language we write in: one of en, nl, de, fr, es, it (a region variant such as nl-BE is read as its language)"
    );
    let typo = r#"{"timezone": "Europe/Amsterdam", "weekly": {}, "webstores": {"shop-nl": {"agentLanguage": "nederlands"}}}"#;
    assert!(
        availability_error(vec![("BUSINESS_HOURS", typo)])
            .await
            .starts_with(
                "configuration: BUSINESS_HOURS webstores.shop-nl.agentLanguage: `nederlands` is not a language we write in"
            )
    );
    let cm = "http://127.0.0.1:9";
    for (var, value) in [("AGENT_LANGUAGE", "pt-BR"), ("BUSINESS_HOURS", typo)] {
        let error = handover::App::from_env(&e2e::handover_env("t", cm, &[(var, value)]), &sdk)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.starts_with(&format!("configuration: {var} "))
                && error.contains("is not a language we write in"),
            "{error}"
        );
    }
}
