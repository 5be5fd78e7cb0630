//! The raw dependency round trips of one invocation of each function, made directly through the
//! same adapters and clients (no lambda_http, no request checks, no logs or metrics), so that
//! `make bench` can show what our own code adds on top.
//!
//! `raw <availability|intake|handover> <count>` with the functions' environment: `count` rounds
//! in a loop; prints `{"p50_ms", "p99_ms", "max_ms"}`.
//!
//! `raw <availability|intake|handover> lambda`: the same round per invocation, behind the Lambda
//! Runtime API like the floor, answering as briefly as the functions do. Measured there, the
//! calls run in the same rhythm as the functions' (the runtime API's round trip between them),
//! which a tight loop does not.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use shared::adapters::cm::presence::{self, MscPresence};
use shared::adapters::cm::routing::{self, RoutingControl};
use shared::adapters::store::{HeldClaim, OnceStep, Store};
use shared::contract::validate::ChatId;
use shared::contract::{IntakeField, RoutingMutation, RoutingMutationRequest};
use shared::rules::once::ClaimTerms;
use shared::setup::config::{self, Env};
use shared::setup::refreshing::Refreshing;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let function = args.next().unwrap_or_default();
    let mode = args.next().unwrap_or_else(|| "1000".to_owned());
    let round = Round::new(&function).await?;
    if mode == "lambda" {
        let round = &round;
        return lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async move {
            round.once().await?;
            Ok::<Value, Failure>(answer())
        }))
        .await;
    }
    let count: usize = mode
        .parse()
        .map_err(|_| format!("`{mode}` is neither a count nor `lambda`"))?;
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        round.once().await?;
        samples.push(started.elapsed());
    }
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[index].as_secs_f64() * 1000.0
    };
    println!(
        "{}",
        serde_json::json!({"p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": at(1.0)})
    );
    Ok(())
}

/// The dependency calls one invocation of `function` makes, nothing else.
enum Round {
    Availability(MscPresence),
    Intake(Store),
    Handover {
        store: Store,
        routing: RoutingControl,
        mutations: Vec<RoutingMutation>,
        rounds: AtomicU64,
    },
}

impl Round {
    async fn new(function: &str) -> Result<Self, Failure> {
        let env = Env::from_process();
        let sdk = shared::setup::aws::sdk_config().await?;
        let store = || {
            Store::new(
                aws_sdk_dynamodb::Client::new(&sdk),
                env.required(config::TABLE_NAME)
                    .unwrap_or("cm-handover-local"),
            )
        };
        let token = Arc::new(Refreshing::fixed(shared::rules::secret::Secret::new(
            env.get(config::CM_PRODUCT_TOKEN)
                .unwrap_or_default()
                .to_owned(),
        )));
        Ok(match function {
            "availability" => Self::Availability(MscPresence::new(
                shared::adapters::cm::http_client()?,
                presence::msc_presence_url(&env)?,
                Arc::new(Refreshing::fixed(shared::rules::secret::Secret::new(
                    env.required(config::MSC_API_KEY)?.to_owned(),
                ))),
            )),
            "intake" => Self::Intake(store()),
            "handover" => Self::Handover {
                store: store(),
                routing: RoutingControl::new(
                    shared::adapters::cm::http_client()?,
                    routing::cm_api_base_url(&env)?,
                    routing::technical_link_id(&env)?,
                    token,
                ),
                mutations: shared::adapters::cm::mutations::routing_mutations(&env)?,
                rounds: AtomicU64::new(0),
            },
            other => return Err(format!("unknown function `{other}`").into()),
        })
    }

    async fn once(&self) -> Result<(), Failure> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        match self {
            Self::Availability(presence) => {
                presence
                    .agents_online("WebChat", Some("shop-nl"), deadline)
                    .await?;
            }
            Self::Intake(store) => {
                let chat = ChatId::parse("bench-raw-intake")?;
                let fields = [(IntakeField::Name, "Jan de Vries".to_owned())];
                store
                    .merge_intake(&chat, &fields, now(), now() + 3600)
                    .await?;
            }
            Self::Handover {
                store,
                routing,
                mutations,
                rounds,
            } => {
                let i = rounds.fetch_add(1, Ordering::Relaxed);
                let chat =
                    ChatId::parse(&format!("bench-raw-handover-{}-{i}", std::process::id()))?;
                let terms = ClaimTerms {
                    now: now(),
                    lease_until: now() + 10,
                    dedup_until: now() + 900,
                };
                // side by side, as the handover does
                let (claim, read) = tokio::join!(
                    store.claim(OnceStep::Handover, &chat, "raw", terms),
                    store.intake_and_route(&chat, now()),
                );
                claim?;
                let (intake, _route) = read?;
                let body = RoutingMutationRequest {
                    chat_id: chat.as_str().to_owned(),
                    mutations: mutations.clone(),
                    context: intake
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v))
                        .collect(),
                };
                routing.request_mutations(&chat, &body, deadline).await?;
                // the claim recorded and the intake erased in one transaction, as the handover does
                let held = HeldClaim {
                    step: OnceStep::Handover,
                    chat: &chat,
                    claim_id: "raw",
                };
                store.record_done(&held, now(), now() + 900).await?;
            }
        }
        Ok(())
    }
}

/// What `raw NAME lambda` answers: as small as the functions' own answers (an echo of the
/// event, as the floor answers, costs the emulator more than they do).
fn answer() -> Value {
    serde_json::json!({
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": "{\"raw\":true}"
    })
}

fn now() -> u64 {
    shared::rules::clock::Clock::now(&shared::rules::clock::SystemClock)
}
