//! The dialog's offline branch: when no agent can take the chat, leave what the customer told the
//! bot in the support mailbox, by e-mail, exactly once.
//!
//! `POST /message` claims the chat's message with a conditional DynamoDB write (reading its
//! intake meanwhile), then sends one e-mail through Amazon SES: From `MESSAGE_FROM`, To the
//! support mailbox (`MESSAGE_TO`, or the web store's in `MESSAGE_TO_BY_WEBSTORE`), Reply-To the
//! customer's stored address. A duplicate while that runs answers `pending`; after a success,
//! `sent` is replayed without an e-mail for `MESSAGE_DEDUP_SECONDS`; a failure releases the claim
//! so a retry may send; when SES may have taken the e-mail (no answer in time, a 5xx), the answer
//! is `failed`/`outcome_unknown` and the next call sends once more, marked as a possible repeat,
//! never a third time. A reply address in our own domain is refused, and the day's e-mails are
//! limited per reply address and in all (`MESSAGE_LIMIT_PER_ADDRESS`, `MESSAGE_LIMIT_PER_DAY`),
//! so the offline branch is no relay.
//!
//! This file is the wiring and the HTTP edge; [`letter`] holds what a request may ask and what
//! the mailbox receives, [`claim`] the message's at-most-once sequence.

use shared::setup::team_language::TeamLanguage;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use shared::ApiError;
use shared::adapters::ses::Mailer;
use shared::adapters::store::{MessageLimits, Store};
use shared::contract::MessageReason;
use shared::http;
use shared::rules::clock::{Clock, SystemClock};
use shared::rules::mail::{Mailbox, mailboxes_by_webstore};
use shared::setup::auth::CalloutTokens;
use shared::setup::channel::Channels;
use shared::setup::config::{self, ConfigError, Env};
use shared::setup::refreshing::Refreshing;
use shared::setup::telemetry::ChatTagger;
use shared::setup::warm;

pub mod claim;
pub mod letter;

use claim::{Mailboxes, Messenger};
use letter::MessageOrder;

pub const DEFAULT_BUDGET_MS: u64 = 2500;
pub const DEFAULT_DEDUP_SECONDS: u64 = 86_400;
/// E-mails a day whose reply address is one address: a customer who writes again the same day
/// gets through, a relay does not.
pub const DEFAULT_LIMIT_PER_ADDRESS: u64 = 3;
/// E-mails a day in all: far above a shop's offline messages, far below SES's production quota.
pub const DEFAULT_LIMIT_PER_DAY: u64 = 500;
/// E-mails a day whose reply address is in one domain: a fifth of the day's, so that no one
/// domain (a catch-all one makes endless addresses) can spend the day's e-mails for everyone.
pub const DEFAULT_LIMIT_PER_DOMAIN: u64 = 100;
const MAX_LIMIT: u64 = 1_000_000;
const MAX_DEDUP_SECONDS: u64 = 7 * 86_400;

pub struct App {
    tokens: Refreshing<CalloutTokens>,
    messenger: Messenger,
    budget: Duration,
    chats: ChatTagger,
    /// The chat's channel to the dimension its answers are counted by (`MSC_CHANNELS`).
    channels: Channels,
    warm_up: Duration,
}

impl App {
    pub async fn from_env(env: &Env, sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let sdk = &shared::setup::aws::for_function(sdk, "message");
        let tokens = shared::setup::auth::callout_tokens(env, sdk).await?;
        let table = env.required(config::TABLE_NAME)?;
        let mailbox = |var: &'static str| -> Result<Mailbox, ConfigError> {
            Mailbox::parse(env.required(var)?).map_err(|e| ConfigError::invalid(var, e.to_string()))
        };
        let from = mailbox(config::MESSAGE_FROM)?;
        let to = mailbox(config::MESSAGE_TO)?;
        let by_webstore = Refreshing::load_if_set(
            env,
            config::MESSAGE_TO_BY_WEBSTORE,
            config::MESSAGE_TO_BY_WEBSTORE_PARAM,
            sdk,
            |json| mailboxes_by_webstore(json.expose()).map_err(|e| e.to_string()),
        )
        .await?;
        Ok(Self {
            tokens,
            messenger: Messenger {
                store: Store::new(aws_sdk_dynamodb::Client::new(sdk), table),
                mailer: Mailer::new(sdk),
                mailboxes: Mailboxes {
                    from,
                    to,
                    by_webstore,
                },
                dedup_seconds: env.positive_u64(
                    config::MESSAGE_DEDUP_SECONDS,
                    DEFAULT_DEDUP_SECONDS,
                    MAX_DEDUP_SECONDS,
                )?,
                limits: MessageLimits {
                    per_address: env.positive_u64(
                        config::MESSAGE_LIMIT_PER_ADDRESS,
                        DEFAULT_LIMIT_PER_ADDRESS,
                        MAX_LIMIT,
                    )?,
                    per_domain: env.positive_u64(
                        config::MESSAGE_LIMIT_PER_DOMAIN,
                        DEFAULT_LIMIT_PER_DOMAIN,
                        MAX_LIMIT,
                    )?,
                    per_day: env.positive_u64(
                        config::MESSAGE_LIMIT_PER_DAY,
                        DEFAULT_LIMIT_PER_DAY,
                        MAX_LIMIT,
                    )?,
                },
                time_zone: config::time_zone(env)?,
                team_language: TeamLanguage::from_env(env, sdk).await?,
                clock: Arc::new(SystemClock),
            },
            budget: env.duration_ms(config::MESSAGE_BUDGET_MS, DEFAULT_BUDGET_MS)?,
            chats: shared::setup::telemetry::chat_tagger(env, sdk).await?,
            channels: Channels::from_env(env)?,
            warm_up: warm::limit(env)?,
        })
    }

    /// The same app reading time from `clock` (tests, replays).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.messenger.clock = clock;
        self
    }

    /// The same app sending through `mailer` (tests: a mail service that fails on purpose).
    pub fn with_mailer(mut self, mailer: Mailer) -> Self {
        self.messenger.mailer = mailer;
        self
    }

    /// Opens the two DynamoDB connections the first message uses (the claim and the intake read
    /// run side by side). SES's opens with the first e-mail: the only SES call that could open it
    /// beforehand is one more permission (`ses:GetAccount`) than sending needs.
    pub async fn warm_up(&self) {
        let store = &self.messenger.store;
        tokio::join!(
            warm::warm_up("dynamodb", self.warm_up, store.warm_up()),
            warm::warm_up("dynamodb", self.warm_up, store.warm_up()),
        );
    }
}

/// The lambda_http entry point: every outcome is a response.
pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, Infallible> {
    // boxed, as handover's: the SDK's futures are large (docs/performance.md)
    Ok(http::answer("message", &req, Box::pin(respond(app, &req))).await)
}

async fn respond(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    http::admit(
        req,
        &*app.tokens.get().await,
        "message",
        Method::POST,
        "POST",
    )?;
    let order = MessageOrder::parse(http::json_body(req, None)?)?;
    app.chats.record(&order.chat);
    let budget = http::budget(req, app.budget);
    let answer = app
        .messenger
        .leave(&order, &http::claim_id(req), budget)
        .await;
    tracing::info!(
        status = answer.message_status.as_str(),
        reason = answer.reason.map(MessageReason::as_str),
        "message answered"
    );
    let channel = app.channels.resolve(order.channel.as_deref());
    shared::setup::metrics::count_on_channel(answer.metric(), channel.dimension());
    Ok(http::with_outcome(answer.metric(), http::ok_json(&answer)))
}
