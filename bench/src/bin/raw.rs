//! The raw dependency round trips of one invocation of each function, made directly through the
//! same adapters and clients (no Lambda runtime, no lambda_http, no request checks), so that
//! `make bench` can show what our own code adds on top.
//!
//! `raw <availability|intake|handover> <count>` with the functions' environment; prints
//! `{"p50_ms", "p99_ms", "max_ms"}`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::cm::{PresenceSource, RoutingControl};
use shared::config::{self, Env};
use shared::secrets::Refreshing;
use shared::store::{ClaimTerms, Store};
use shared::validate::ChatId;
use shared::wire::{IntakeField, RoutingMutationRequest};

type Failure = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let function = args.next().unwrap_or_default();
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let env = Env::from_process();
    let sdk = shared::aws::sdk_config().await?;
    let store = Store::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        env.required(config::TABLE_NAME)
            .unwrap_or("cm-handover-local"),
    );
    let token = Arc::new(Refreshing::fixed(shared::secret::Secret::new(
        env.get(config::CM_PRODUCT_TOKEN)
            .unwrap_or_default()
            .to_owned(),
    )));
    let deadline = || tokio::time::Instant::now() + Duration::from_secs(5);
    let mut samples = Vec::with_capacity(count);
    match function.as_str() {
        "availability" => {
            let presence = PresenceSource::new(
                shared::cm::http_client()?,
                config::AVAILABILITY_URL,
                env.required(config::AVAILABILITY_URL)?,
                Some(token),
            )?;
            for _ in 0..count {
                let started = Instant::now();
                presence.fetch(Some("shop-nl"), deadline()).await?;
                samples.push(started.elapsed());
            }
        }
        "intake" => {
            let chat = ChatId::parse("bench-raw-intake")?;
            let fields = [(IntakeField::Name, "Jan de Vries".to_owned())];
            for _ in 0..count {
                let started = Instant::now();
                store
                    .merge_intake(&chat, &fields, now(), now() + 3600)
                    .await?;
                samples.push(started.elapsed());
            }
        }
        "handover" => {
            let routing = RoutingControl::new(
                shared::cm::http_client()?,
                config::cm_api_base_url(&env)?,
                config::technical_link_id(&env)?,
                token,
            );
            let mutations = config::routing_mutations(&env)?;
            for i in 0..count {
                let chat =
                    ChatId::parse(&format!("bench-raw-handover-{}-{i}", std::process::id()))?;
                let started = Instant::now();
                let intake = store.intake(&chat, now()).await?;
                let terms = ClaimTerms {
                    now: now(),
                    lease_until: now() + 10,
                    dedup_until: now() + 900,
                };
                store.claim_handover(&chat, "raw", terms).await?;
                let body = RoutingMutationRequest {
                    chat_id: chat.as_str().to_owned(),
                    mutations: mutations.clone(),
                    context: intake
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k.as_str().to_owned(), v))
                        .collect(),
                };
                routing.request_mutations(&chat, &body, deadline()).await?;
                store
                    .record_handover_success(&chat, "raw", now(), now() + 900)
                    .await?;
                samples.push(started.elapsed());
            }
        }
        other => return Err(format!("unknown function `{other}`").into()),
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

fn now() -> u64 {
    shared::clock::Clock::now(&shared::clock::SystemClock)
}
