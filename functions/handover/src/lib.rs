//! Step 4 of the seed's handover dialog: hand the chat to an MSC agent, exactly once.
//!
//! `POST /handover` claims the chat's handover with a conditional DynamoDB write (reading its
//! intake meanwhile), then sends one routing mutation request to CM.com with everything the
//! customer already told the bot in its Context. A duplicate while that runs answers `pending`;
//! after a success, `success` is replayed without a call for `HANDOVER_DEDUP_SECONDS`; a failure
//! releases the claim so a retry may run, unless CM.com may have acted on it.
//!
//! This file is the wiring and the HTTP edge; [`context`] holds what a request may ask and what
//! the agent receives, [`claim`] the handover's at-most-once sequence.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use shared::ApiError;
use shared::adapters::cm::mutations::RoutingMutations;
use shared::adapters::cm::routing::{self, RoutingControl};
use shared::adapters::store::Store;
use shared::contract::HandoverReason;
use shared::http;
use shared::rules::clock::{Clock, SystemClock};
use shared::setup::auth::CalloutTokens;
use shared::setup::channel::Channels;
use shared::setup::config::{self, ConfigError, Env};
use shared::setup::refreshing::Refreshing;
use shared::setup::team_language::TeamLanguage;
use shared::setup::telemetry::ChatTagger;
use shared::setup::warm;

pub mod claim;
pub mod context;
pub mod keys;
pub mod order;

use claim::Handover;
use keys::ContextKeys;
use order::HandoverOrder;

pub const DEFAULT_BUDGET_MS: u64 = 2500;
pub const DEFAULT_DEDUP_SECONDS: u64 = 900;
const MAX_DEDUP_SECONDS: u64 = 7 * 86_400;

pub struct App {
    tokens: Refreshing<CalloutTokens>,
    handover: Handover,
    budget: Duration,
    /// Tags the request's log lines with its chat (`CHAT_LOG_KEY`; off when unset).
    chats: ChatTagger,
    /// What the chat's channel is (`MSC_CHANNELS`): its Routing Control mutations and the
    /// dimension its answers are counted by.
    channels: Channels,
    /// How long init may spend opening each connection (`WARM_UP_MS`).
    warm_up: Duration,
    /// The Context keys the dialogs send (`HANDOVER_CONTEXT_KEYS`; any when unset).
    context_keys: ContextKeys,
}

impl App {
    pub async fn from_env(env: &Env, sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let sdk = &shared::setup::aws::for_function(sdk, "handover");
        let tokens = shared::setup::auth::callout_tokens(env, sdk).await?;
        let table = env.required(config::TABLE_NAME)?;
        let base_url = routing::cm_api_base_url(env)?;
        let technical_link_id = routing::technical_link_id(env)?;
        let channels = Channels::from_env(env)?;
        let mutations = RoutingMutations::from_env(env, &channels)?;
        let product_token = Arc::new(shared::adapters::cm::product_token(env, sdk).await?);
        Ok(Self {
            tokens,
            handover: Handover {
                store: Store::new(aws_sdk_dynamodb::Client::new(sdk), table),
                routing: RoutingControl::new(
                    shared::adapters::cm::http_client()?,
                    base_url,
                    technical_link_id,
                    product_token,
                ),
                mutations,
                dedup_seconds: env.positive_u64(
                    config::HANDOVER_DEDUP_SECONDS,
                    DEFAULT_DEDUP_SECONDS,
                    MAX_DEDUP_SECONDS,
                )?,
                time_zone: config::time_zone(env)?,
                team_language: TeamLanguage::from_env(env, sdk).await?,
                clock: Arc::new(SystemClock),
            },
            budget: env.duration_ms(config::HANDOVER_BUDGET_MS, DEFAULT_BUDGET_MS)?,
            chats: shared::setup::telemetry::chat_tagger(env, sdk).await?,
            channels,
            warm_up: warm::limit(env)?,
            context_keys: ContextKeys::from_env(env)?,
        })
    }

    /// The same app reading time from `clock` (tests, replays).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.handover.clock = clock;
        self
    }

    /// Opens the connections the first handover uses before it arrives, side by side (see
    /// [`shared::setup::warm`]): two to DynamoDB, as a handover claims the chat and reads its intake
    /// and route at the same time, each on a connection of its own, and one to Routing Control.
    pub async fn warm_up(&self) {
        let Handover { store, routing, .. } = &self.handover;
        tokio::join!(
            warm::warm_up("dynamodb", self.warm_up, store.warm_up()),
            warm::warm_up("dynamodb", self.warm_up, store.warm_up()),
            warm::warm_up("routing-control", self.warm_up, routing.warm_up()),
        );
    }
}

/// The lambda_http entry point: every outcome is a response.
pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, Infallible> {
    // boxed: the future holds the SDK's and is tens of KB; moved by value, every layer above
    // (our span, lambda_http, lambda_runtime) would copy it (docs/performance.md)
    Ok(http::answer("handover", &req, Box::pin(respond(app, &req))).await)
}

async fn respond(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    http::admit(
        req,
        &*app.tokens.get().await,
        "handover",
        Method::POST,
        "POST",
    )?;
    let order = HandoverOrder::parse(http::json_body(req, None)?, &app.context_keys)?;
    app.chats.record(&order.chat);
    let budget = http::budget(req, app.budget);
    let channel = app.channels.resolve(order.channel.as_deref());
    let answer = app
        .handover
        .hand_over(&order, channel, &http::claim_id(req), budget)
        .await;
    // wire names, as the dialog gets them; no `reason` field when there is none
    tracing::info!(
        status = answer.handover_status.as_str(),
        reason = answer.reason.map(HandoverReason::as_str),
        "handover answered"
    );
    shared::setup::metrics::count_on_channel(answer.metric(), channel.dimension());
    Ok(http::with_outcome(answer.metric(), http::ok_json(&answer)))
}
