//! The dependency requests of one invocation of each function as plain signed HTTP: the same
//! DynamoDB requests as the functions' (same operations, same JSON) signed with SigV4 by
//! `aws-sigv4` and sent with reqwest, with none of the SDK's orchestration (endpoint rules,
//! interceptors, retry, (de)serialisation into types), and the same CM.com requests through the
//! same adapters. Behind the Lambda Runtime API like the floor: `plain <function> lambda`.
//!
//! `make bench` counts its instructions next to `raw` (the same requests through the SDK), so the
//! SDK's own share of a request shows. A bench baseline only: the functions use the SDK.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};
use shared::adapters::cm::presence::{self, MscPresence};
use shared::adapters::cm::routing::{self, RoutingControl};
use shared::contract::validate::ChatId;
use shared::contract::{RoutingMutation, RoutingMutationRequest};
use shared::setup::config::{self, Env};
use shared::setup::refreshing::Refreshing;

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let function = std::env::args().nth(1).unwrap_or_default();
    let round = Round::new(&function)?;
    let round = &round;
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async move {
        round.once().await?;
        Ok::<Value, Failure>(json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": "{\"plain\":true}"
        }))
    }))
    .await
}

/// DynamoDB's JSON protocol over HTTP, signed, nothing else.
struct Dynamo {
    client: reqwest::Client,
    url: String,
    region: String,
    credentials: Credentials,
    table: String,
}

impl Dynamo {
    fn from_env(env: &Env) -> Result<Self, Failure> {
        let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-west-1".to_owned());
        let url = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
            .unwrap_or_else(|_| format!("https://dynamodb.{region}.amazonaws.com"));
        let credentials = Credentials::new(
            std::env::var("AWS_ACCESS_KEY_ID")?,
            std::env::var("AWS_SECRET_ACCESS_KEY")?,
            std::env::var("AWS_SESSION_TOKEN").ok(),
            None,
            "environment",
        );
        Ok(Self {
            client: shared::setup::tls::http_client(Duration::from_millis(500))?,
            url: format!("{}/", url.trim_end_matches('/')),
            region,
            credentials,
            table: env
                .required(config::TABLE_NAME)
                .unwrap_or("cm-handover-local")
                .to_owned(),
        })
    }

    async fn call(&self, operation: &str, body: Value) -> Result<Value, Failure> {
        let body = serde_json::to_vec(&body)?;
        let target = format!("DynamoDB_20120810.{operation}");
        let headers = [
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", target.as_str()),
        ];
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("dynamodb")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let signable = SignableRequest::new(
            "POST",
            &self.url,
            headers.iter().copied(),
            SignableBody::Bytes(&body),
        )?;
        let (instructions, _) = sign(signable, &params)?.into_parts();
        let mut request = self.client.post(&self.url);
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request = request.header(name, value);
        }
        let response = request.body(body).send().await?;
        let status = response.status();
        let answer: Value = serde_json::from_slice(&response.bytes().await?)?;
        if !status.is_success() {
            return Err(format!("{operation} answered {status}: {answer}").into());
        }
        Ok(answer)
    }
}

enum Round {
    Availability(MscPresence),
    Intake(Dynamo),
    Handover {
        dynamo: Dynamo,
        routing: RoutingControl,
        mutations: Vec<RoutingMutation>,
        rounds: AtomicU64,
    },
}

impl Round {
    fn new(function: &str) -> Result<Self, Failure> {
        let env = Env::from_process();
        Ok(match function {
            "availability" => Self::Availability(MscPresence::new(
                shared::adapters::cm::http_client()?,
                presence::msc_presence_url(&env)?,
                Arc::new(Refreshing::fixed(shared::rules::secret::Secret::new(
                    env.required(config::MSC_API_KEY)?.to_owned(),
                ))),
            )),
            "intake" => Self::Intake(Dynamo::from_env(&env)?),
            "handover" => Self::Handover {
                dynamo: Dynamo::from_env(&env)?,
                routing: RoutingControl::new(
                    shared::adapters::cm::http_client()?,
                    routing::cm_api_base_url(&env)?,
                    routing::technical_link_id(&env)?,
                    Arc::new(Refreshing::fixed(shared::rules::secret::Secret::new(
                        env.get(config::CM_PRODUCT_TOKEN)
                            .unwrap_or_default()
                            .to_owned(),
                    ))),
                ),
                mutations: shared::adapters::cm::mutations::routing_mutations(&env)?,
                rounds: AtomicU64::new(0),
            },
            other => return Err(format!("unknown function `{other}`").into()),
        })
    }

    /// The requests `raw` makes through the store, with the store's JSON.
    async fn once(&self) -> Result<(), Failure> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let now = shared::rules::clock::Clock::now(&shared::rules::clock::SystemClock);
        match self {
            Self::Availability(presence) => {
                presence
                    .agents_online("WebChat", Some("shop-nl"), deadline)
                    .await?;
            }
            Self::Intake(dynamo) => {
                dynamo
                    .call(
                        "UpdateItem",
                        json!({
                            "TableName": dynamo.table,
                            "Key": {"pk": {"S": "intake#bench-plain-intake"}},
                            "UpdateExpression": "SET #exp = :exp, #f0 = :f0",
                            "ConditionExpression": "attribute_not_exists(#exp) OR #exp > :now",
                            "ExpressionAttributeNames": {"#exp": "expiresAt", "#f0": "name"},
                            "ExpressionAttributeValues": {
                                ":exp": {"N": (now + 3600).to_string()},
                                ":now": {"N": now.to_string()},
                                ":f0": {"S": "Jan de Vries"}
                            },
                            "ReturnValues": "ALL_NEW"
                        }),
                    )
                    .await?;
            }
            Self::Handover {
                dynamo,
                routing,
                mutations,
                rounds,
            } => {
                let i = rounds.fetch_add(1, Ordering::Relaxed);
                let chat =
                    ChatId::parse(&format!("bench-plain-handover-{}-{i}", std::process::id()))?;
                let claim = dynamo.call(
                    "PutItem",
                    json!({
                        "TableName": dynamo.table,
                        "Item": {
                            "pk": {"S": format!("handover#{}", chat.as_str())},
                            "handoverStatus": {"S": "pending"},
                            "claimId": {"S": "plain"},
                            "leaseExpiresAt": {"N": (now + 10).to_string()},
                            "expiresAt": {"N": (now + 900).to_string()}
                        },
                        "ConditionExpression": "attribute_not_exists(#pk) OR #exp <= :now OR (#status = :pending AND #lease <= :now)",
                        "ExpressionAttributeNames": {"#pk": "pk", "#exp": "expiresAt", "#status": "handoverStatus", "#lease": "leaseExpiresAt"},
                        "ExpressionAttributeValues": {":now": {"N": now.to_string()}, ":pending": {"S": "pending"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"
                    }),
                );
                let intake = dynamo.call(
                    "BatchGetItem",
                    json!({
                        "RequestItems": {dynamo.table.as_str(): {
                            "Keys": [
                                {"pk": {"S": format!("intake#{}", chat.as_str())}},
                                {"pk": {"S": format!("route#{}", chat.as_str())}}
                            ],
                            "ConsistentRead": true
                        }}
                    }),
                );
                // side by side, as the handover does
                let (claim, intake) = tokio::join!(claim, intake);
                claim?;
                intake?;
                let body = RoutingMutationRequest {
                    chat_id: chat.as_str().to_owned(),
                    mutations: mutations.clone(),
                    context: Default::default(),
                };
                routing.request_mutations(&chat, &body, deadline).await?;
                dynamo
                    .call(
                        "UpdateItem",
                        json!({
                            "TableName": dynamo.table,
                            "Key": {"pk": {"S": format!("handover#{}", chat.as_str())}},
                            "UpdateExpression": "SET #status = :success, #exp = :exp, #at = :now REMOVE #lease",
                            "ConditionExpression": "#claim = :claim",
                            "ExpressionAttributeNames": {"#status": "handoverStatus", "#exp": "expiresAt", "#at": "handedOverAt", "#lease": "leaseExpiresAt", "#claim": "claimId"},
                            "ExpressionAttributeValues": {
                                ":success": {"S": "success"},
                                ":exp": {"N": (now + 900).to_string()},
                                ":now": {"N": now.to_string()},
                                ":claim": {"S": "plain"}
                            }
                        }),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
