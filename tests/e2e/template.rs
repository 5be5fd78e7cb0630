//! template.yaml against the code: each function may do exactly what it does, and reads only
//! configuration the code knows.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_norway::Value;

fn template() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let text = std::fs::read_to_string(&path).expect("template.yaml");
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

/// Every IAM action in the function's policies, with the resources each statement names
/// (rendered as text, tags included); each policy must state `Version: "2012-10-17"`.
fn permissions(function: &str) -> Vec<(String, String)> {
    let template = template();
    let policies = template["Resources"][function]["Properties"]["Policies"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{function} has Policies"));
    let mut permissions = Vec::new();
    for policy in policies {
        // without it IAM reads the policy in the 2008 language (no policy variables)
        assert_eq!(
            policy["Version"].as_str(),
            Some("2012-10-17"),
            "{function}: every policy states its language version"
        );
        let statements = policy["Statement"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{function}: every policy is written out as statements, not a SAM policy template: {policy:?}"));
        for statement in statements {
            assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{function}");
            let actions = statement_actions(function, statement);
            let resource = format!("{:?}", statement["Resource"]);
            assert!(
                !resource.contains("\"*\""),
                "{function}: no wildcard resources: {resource}"
            );
            permissions.extend(actions.into_iter().map(|a| (a, resource.clone())));
        }
    }
    permissions
}

/// A policy statement's `Action`: one action or a list of them.
fn statement_actions(function: &str, statement: &Value) -> Vec<String> {
    match &statement["Action"] {
        Value::String(action) => vec![action.clone()],
        Value::Sequence(actions) => actions
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
        other => panic!("{function}: unexpected Action {other:?}"),
    }
}

// Which items of the table each role may touch, with which actions and attributes, is checked
// as IAM evaluates it, not as text: scripts/iam/check.py (TABLE_ACCESS), in `make test`.

fn actions(function: &str) -> BTreeSet<String> {
    permissions(function)
        .into_iter()
        .map(|(action, _)| action)
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn availability_reads_its_secrets_and_nothing_else() {
    assert_eq!(
        actions("AvailabilityFunction"),
        set(&["ssm:GetParameter", "dynamodb:PutItem", "dynamodb:GetItem"])
    );
    // and never CM.com's product token: that is for Routing Control (handover) alone
    let template = template();
    let availability = &template["Resources"]["AvailabilityFunction"]["Properties"];
    let readable: Vec<String> = permissions("AvailabilityFunction")
        .into_iter()
        .map(|(_, resource)| resource)
        .collect();
    assert!(
        readable
            .iter()
            .all(|r| !r.contains("ProductTokenParameter")),
        "{readable:?}"
    );
    let variables = &availability["Environment"]["Variables"];
    for var in [
        shared::setup::config::CM_PRODUCT_TOKEN,
        shared::setup::config::CM_PRODUCT_TOKEN_PARAM,
    ] {
        assert!(variables.get(var).is_none(), "availability gets {var}");
    }
    // the presence-check tokens and the JSON source's token only when they are configured
    for (var, condition, parameter) in [
        (
            shared::setup::config::PRESENCE_CHECK_TOKEN_PARAM,
            "HasPresenceCheckTokens",
            "PresenceCheckTokensParameter",
        ),
        (
            shared::setup::config::AVAILABILITY_TOKEN_PARAM,
            "HasAvailabilityToken",
            "AvailabilityTokenParameter",
        ),
    ] {
        assert_eq!(
            format!("{:?}", variables[var]),
            format!(
                "{:?}",
                serde_norway::from_str::<Value>(&format!(
                    "!If [{condition}, !Ref {parameter}, !Ref AWS::NoValue]"
                ))
                .expect("YAML")
            ),
            "{var}"
        );
        assert!(
            readable
                .iter()
                .any(|r| r.contains(condition) && r.contains(&format!("parameter${{{parameter}}}"))),
            "{parameter}: {readable:?}"
        );
    }
    // intake and handover never see a presence-check token
    for function in ["IntakeFunction", "HandoverFunction"] {
        let variables = &template["Resources"][function]["Properties"]["Environment"]["Variables"];
        assert!(
            variables
                .get(shared::setup::config::PRESENCE_CHECK_TOKEN_PARAM)
                .is_none()
        );
        assert!(
            permissions(function)
                .iter()
                .all(|(_, r)| !r.contains("PresenceCheckTokensParameter")),
            "{function}"
        );
    }
}

#[test]
fn the_table_keeps_backups_for_the_days_the_template_says() {
    let template = template();
    let recovery =
        &template["Resources"]["HandoverTable"]["Properties"]["PointInTimeRecoverySpecification"];
    assert_eq!(recovery["PointInTimeRecoveryEnabled"].as_bool(), Some(true));
    assert_eq!(
        format!("{:?}", recovery["RecoveryPeriodInDays"]),
        format!(
            "{:?}",
            serde_norway::from_str::<Value>("!Ref BackupRetentionDays").expect("YAML")
        )
    );
    let parameter = &template["Parameters"]["BackupRetentionDays"];
    assert_eq!(parameter["Default"].as_u64(), Some(1));
    assert_eq!(
        (
            parameter["MinValue"].as_u64(),
            parameter["MaxValue"].as_u64()
        ),
        (Some(1), Some(35))
    );
}

#[test]
fn intake_and_handover_use_only_the_item_operations_the_store_calls() {
    let store_actions = [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ];
    let mut expected = set(&store_actions);
    expected.insert("ssm:GetParameter".to_owned());
    for function in ["IntakeFunction", "HandoverFunction"] {
        let mut expected = expected.clone();
        if function == "HandoverFunction" {
            // the intake and the route, read together (Store::intake_and_route)
            expected.insert("dynamodb:BatchGetItem".to_owned());
        }
        assert_eq!(actions(function), expected, "{function}");
        // which items each may touch: each_function_may_touch_only_its_own_items_of_the_table
        for (action, resource) in permissions(function) {
            if action.starts_with("dynamodb:") {
                assert!(
                    resource.contains("HandoverTable.Arn"),
                    "{function} {action} on {resource}"
                );
            } else {
                assert!(
                    resource.contains("parameter${"),
                    "{function} {action} on {resource}"
                );
            }
        }
    }
}

#[test]
fn message_sends_only_as_the_from_identity_and_exists_only_with_a_mailbox() {
    let expected = set(&[
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "ses:SendEmail",
        "ssm:GetParameter",
    ]);
    assert_eq!(actions("MessageFunction"), expected);
    // as MessageFrom only: not any other address of a domain identity
    let template = template();
    let ses = template["Resources"]["MessageFunction"]["Properties"]["Policies"][0]["Statement"]
        .as_sequence()
        .expect("statements")
        .iter()
        .find(|s| s["Action"].as_str() == Some("ses:SendEmail"))
        .expect("the SendEmail statement")
        .clone();
    assert_eq!(
        format!(
            "{:?}",
            ses["Condition"]["StringEqualsIgnoreCase"]["ses:FromAddress"]
        ),
        format!(
            "{:?}",
            serde_norway::from_str::<Value>("!Ref MessageFrom").expect("YAML")
        ),
        "{ses:?}"
    );
    for (action, resource) in permissions("MessageFunction") {
        match action.as_str() {
            "ses:SendEmail" => assert!(
                resource.contains(":identity/${MessageFromIdentity}"),
                "{resource}"
            ),
            a if a.starts_with("dynamodb:") => {
                assert!(resource.contains("HandoverTable.Arn"), "{resource}")
            }
            _ => assert!(resource.contains("parameter${"), "{resource}"),
        }
    }

    for resource in ["MessageFunction", "MessageLogGroup", "MessageFailedAlarm"] {
        assert_eq!(
            template["Resources"][resource]["Condition"].as_str(),
            Some("HasMailbox"),
            "{resource}"
        );
    }
    assert_eq!(
        template["Outputs"]["MessageUrl"]["Condition"].as_str(),
        Some("HasMailbox")
    );
    // without a mailbox the defaults deploy: every message parameter defaults to empty or a number
    for parameter in [
        "MessageFromIdentity",
        "MessageFrom",
        "MessageFromName",
        "MessageTo",
        "MessageToByWebstoreParameter",
    ] {
        assert_eq!(
            template["Parameters"][parameter]["Default"].as_str(),
            Some(""),
            "{parameter}"
        );
    }
}

#[test]
fn every_function_may_read_the_chat_log_key_when_one_is_configured() {
    let template = template();
    assert_eq!(
        format!(
            "{:?}",
            template["Globals"]["Function"]["Environment"]["Variables"]
                [shared::setup::config::CHAT_LOG_KEY_PARAM]
        ),
        format!(
            "{:?}",
            serde_norway::from_str::<Value>(
                "!If [HasChatLogKey, !Ref ChatLogKeyParameter, !Ref AWS::NoValue]"
            )
            .expect("YAML")
        ),
    );
    for function in ["AvailabilityFunction", "IntakeFunction", "HandoverFunction"] {
        let readable = permissions(function).into_iter().any(|(action, resource)| {
            action == "ssm:GetParameter"
                && resource.contains("HasChatLogKey")
                && resource.contains("parameter${ChatLogKeyParameter}")
        });
        assert!(readable, "{function} cannot read the chat log key");
    }
}

#[test]
fn availability_may_read_the_msc_api_key_only_when_one_is_configured() {
    let template = template();
    let variables =
        &template["Resources"]["AvailabilityFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        format!("{:?}", variables[shared::setup::config::MSC_API_KEY_PARAM]),
        format!(
            "{:?}",
            serde_norway::from_str::<Value>(
                "!If [UsesMscPresence, !Ref MscApiKeyParameter, !Ref AWS::NoValue]"
            )
            .expect("YAML")
        ),
    );
    let readable: Vec<String> = permissions("AvailabilityFunction")
        .into_iter()
        .filter(|(_, resource)| resource.contains("MscApiKeyParameter"))
        .map(|(_, resource)| resource)
        .collect();
    assert_eq!(readable.len(), 1, "{readable:?}");
    assert!(readable[0].contains("UsesMscPresence"), "{readable:?}");
    for function in ["IntakeFunction", "HandoverFunction"] {
        let leaks = permissions(function)
            .into_iter()
            .any(|(_, resource)| resource.contains("MscApiKeyParameter"));
        assert!(!leaks, "{function} may read MSC's API key");
    }
    // the channels the template offers are exactly the ones the code accepts
    let offered: Vec<&str> = template["Parameters"]["MscChannel"]["AllowedValues"]
        .as_sequence()
        .expect("MscChannel lists its values")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(offered, shared::setup::channel::MSC_PRESENCE_CHANNELS);
    assert_eq!(
        template["Parameters"]["MscPresenceUrl"]["Default"].as_str(),
        Some(shared::adapters::cm::presence::DEFAULT_MSC_PRESENCE_URL)
    );
}

#[test]
fn the_functions_read_only_configuration_the_code_knows() {
    use shared::setup::config::*;
    let known = set(&[
        TABLE_NAME,
        CALLOUT_TOKENS,
        CALLOUT_TOKEN_PARAM,
        PRESENCE_CHECK_TOKENS,
        PRESENCE_CHECK_TOKEN_PARAM,
        AVAILABILITY_TOKEN,
        AVAILABILITY_TOKEN_PARAM,
        CM_PRODUCT_TOKEN,
        CM_PRODUCT_TOKEN_PARAM,
        CM_API_BASE_URL,
        CM_TECHNICAL_LINK_ID,
        CM_ROUTING_MUTATIONS,
        CM_ROUTING_MUTATIONS_BY_CHANNEL,
        AVAILABILITY_URL,
        AVAILABILITY_ONLINE_POINTER,
        AVAILABILITY_BUDGET_MS,
        AVAILABILITY_CACHE_SECONDS,
        SECRETS_REFRESH_SECONDS,
        INTAKE_REQUIRED_FIELDS,
        INTAKE_TTL_SECONDS,
        HANDOVER_DEDUP_SECONDS,
        HANDOVER_BUDGET_MS,
        HANDOVER_CONTEXT_KEYS,
        HANDOVER_TIME_ZONE,
        MESSAGE_FROM,
        MESSAGE_TO,
        MESSAGE_TO_BY_WEBSTORE,
        MESSAGE_TO_BY_WEBSTORE_PARAM,
        MESSAGE_DEDUP_SECONDS,
        MESSAGE_BUDGET_MS,
        MESSAGE_LIMIT_PER_ADDRESS,
        MESSAGE_LIMIT_PER_DOMAIN,
        MESSAGE_LIMIT_PER_DAY,
        BUSINESS_HOURS,
        BUSINESS_HOURS_PARAM,
        CUSTOMER_LANGUAGE,
        AGENT_LANGUAGE,
        CHAT_LOG_KEY,
        CHAT_LOG_KEY_PARAM,
        MSC_API_KEY,
        MSC_API_KEY_PARAM,
        MSC_CHANNEL,
        MSC_CHANNELS,
        MSC_PRESENCE_URL,
        PRESENCE_SOURCE,
        METRICS_NAMESPACE,
        METRICS_SERVICE,
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_SESV2",
    ]);
    let template = template();
    let mut declared = BTreeSet::new();
    for scope in [
        &template["Globals"]["Function"],
        &template["Resources"]["AvailabilityFunction"]["Properties"],
        &template["Resources"]["IntakeFunction"]["Properties"],
        &template["Resources"]["HandoverFunction"]["Properties"],
        &template["Resources"]["MessageFunction"]["Properties"],
    ] {
        if let Some(variables) = scope["Environment"]["Variables"].as_mapping() {
            declared.extend(
                variables
                    .keys()
                    .filter_map(|k| k.as_str().map(str::to_owned)),
            );
        }
    }
    let unknown: Vec<&String> = declared.difference(&known).collect();
    assert!(
        unknown.is_empty(),
        "template.yaml sets variables the code never reads: {unknown:?}"
    );
    // the secrets and the local endpoints are declared only blank (for sam local): never with a
    // value
    for scope in [
        &template["Globals"]["Function"],
        &template["Resources"]["AvailabilityFunction"]["Properties"],
        &template["Resources"]["IntakeFunction"]["Properties"],
        &template["Resources"]["HandoverFunction"]["Properties"],
        &template["Resources"]["MessageFunction"]["Properties"],
    ] {
        for secret in [
            CALLOUT_TOKENS,
            PRESENCE_CHECK_TOKENS,
            AVAILABILITY_TOKEN,
            CM_PRODUCT_TOKEN,
            CHAT_LOG_KEY,
            MSC_API_KEY,
            "AWS_ENDPOINT_URL_DYNAMODB",
            "AWS_ENDPOINT_URL_SESV2",
        ] {
            if let Some(value) = scope["Environment"]["Variables"].get(secret) {
                assert_eq!(
                    value.as_str(),
                    Some(""),
                    "{secret} must stay blank in template.yaml"
                );
            }
        }
    }
}

#[test]
fn the_failed_handover_alarm_watches_the_metric_the_handover_writes() {
    let template = template();
    let alarm = &template["Resources"]["HandoverFailedAlarm"]["Properties"];
    assert_eq!(
        alarm["Namespace"].as_str(),
        Some(shared::setup::metrics::DEFAULT_NAMESPACE)
    );
    let failed = shared::contract::HandoverResponse {
        handover_status: shared::contract::HandoverStatus::Failed,
        reason: Some(shared::contract::HandoverReason::UpstreamTimeout),
    };
    assert_eq!(alarm["MetricName"].as_str(), Some(failed.metric()));
    let dimensions: Vec<(String, String)> = alarm["Dimensions"]
        .as_sequence()
        .expect("dimensions")
        .iter()
        .map(|d| {
            let value = match &d["Value"] {
                serde_norway::Value::String(s) => s.clone(),
                other => format!("{other:?}"),
            };
            (d["Name"].as_str().unwrap_or_default().to_owned(), value)
        })
        .collect();
    assert_eq!(dimensions[0].0, "Service");
    assert!(dimensions[0].1.contains("AWS::StackName"), "{dimensions:?}");
    assert_eq!(
        dimensions[1],
        ("Function".to_owned(), "handover".to_owned())
    );
    // and the functions name their Service the same way
    let service = format!(
        "{:?}",
        template["Globals"]["Function"]["Environment"]["Variables"]["METRICS_SERVICE"]
    );
    assert!(service.contains("AWS::StackName"), "{service}");
}

#[test]
fn the_alarms_over_every_function_sum_each_deployed_function_once() {
    let template = template();
    let mailbox = [
        ("MessageFromIdentity", "shop.example"),
        ("MessageFrom", "chat@shop.example"),
        ("MessageTo", "support@shop.example"),
    ];
    for (parameters, functions) in [
        (&[][..], vec!["availability", "handover", "intake"]),
        (
            &mailbox[..],
            vec!["availability", "handover", "intake", "message"],
        ),
    ] {
        for alarm in ["UnauthorizedRequestsAlarm", "FunctionErrorsAlarm"] {
            let metrics: Vec<Value> = template["Resources"][alarm]["Properties"]["Metrics"]
                .as_sequence()
                .expect("Metrics")
                .iter()
                .filter_map(|m| evaluate(&template, parameters, m))
                .collect();
            let summed: BTreeSet<String> = metrics
                .iter()
                .filter(|m| m["ReturnData"].as_bool() == Some(true))
                .filter_map(|m| evaluate(&template, parameters, &m["Expression"]))
                .flat_map(|e| {
                    e.as_str()
                        .unwrap_or_default()
                        .split('+')
                        .map(|id| id.trim().to_owned())
                        .collect::<Vec<_>>()
                })
                .collect();
            let fetched: BTreeSet<String> = metrics
                .iter()
                .filter(|m| m["ReturnData"].as_bool() == Some(false))
                .filter_map(|m| m["Id"].as_str().map(str::to_owned))
                .collect();
            assert_eq!(summed, set(&functions), "{alarm} with {parameters:?}");
            assert_eq!(fetched, set(&functions), "{alarm} with {parameters:?}");
        }
    }
}

/// A value of the template under `parameters` (the template's defaults for the rest): `!Ref`,
/// `!Equals`, `!Not`, `!And`, `!Or` and `!If` (over the template's Conditions) evaluated, as
/// CloudFormation would. `None` stands for `AWS::NoValue`.
fn evaluate(template: &Value, parameters: &[(&str, &str)], value: &Value) -> Option<Value> {
    let Value::Tagged(tagged) = value else {
        return Some(value.clone());
    };
    let args = tagged.value.as_sequence();
    let arg = |i: usize| {
        let args = args.unwrap_or_else(|| panic!("{} takes a list", tagged.tag));
        evaluate(template, parameters, &args[i])
    };
    let truth = |v: Option<Value>| v.and_then(|v| v.as_bool()).expect("a condition");
    let all = |want: bool| {
        args.expect("a list")
            .iter()
            .map(|v| truth(evaluate(template, parameters, v)))
            .all(|b| b == want)
    };
    match tagged.tag.to_string().as_str() {
        "!Ref" => {
            let name = tagged.value.as_str().expect("!Ref names a parameter");
            if name == "AWS::NoValue" {
                return None;
            }
            let given = parameters.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
            let default = template["Parameters"][name]["Default"].as_str();
            let value = given
                .or(default)
                .unwrap_or_else(|| panic!("required parameter {name} not given"));
            Some(Value::String(value.to_owned()))
        }
        "!Equals" => Some(Value::Bool(arg(0) == arg(1))),
        "!Not" => Some(Value::Bool(!truth(arg(0)))),
        "!And" => Some(Value::Bool(all(true))),
        "!Or" => Some(Value::Bool(!all(false))),
        "!If" => {
            let condition = args.expect("a list")[0].as_str().expect("a condition name");
            let holds = truth(evaluate(
                template,
                parameters,
                &template["Conditions"][condition],
            ));
            arg(if holds { 1 } else { 2 })
        }
        other => panic!("the test does not evaluate {other}"),
    }
}

/// The template's Rules under `parameters`: the descriptions of the assertions that fail.
fn failed_rules(template: &Value, parameters: &[(&str, &str)]) -> Vec<String> {
    let mut failed = Vec::new();
    for (_, rule) in template["Rules"].as_mapping().expect("Rules") {
        let applies = rule.get("RuleCondition").is_none_or(|condition| {
            evaluate(template, parameters, condition).and_then(|v| v.as_bool()) == Some(true)
        });
        if !applies {
            continue;
        }
        for assertion in rule["Assertions"].as_sequence().expect("Assertions") {
            if evaluate(template, parameters, &assertion["Assert"]).and_then(|v| v.as_bool())
                != Some(true)
            {
                failed.push(
                    assertion["AssertDescription"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
    }
    failed
}

#[test]
fn no_deployment_answers_online_unless_the_person_deploying_chose_none() {
    let template = template();
    // a required choice, in the code's words
    let parameter = &template["Parameters"]["PresenceSource"];
    assert!(
        parameter.get("Default").is_none(),
        "PresenceSource must have no default"
    );
    let offered: Vec<&str> = parameter["AllowedValues"]
        .as_sequence()
        .expect("PresenceSource lists its values")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(offered, availability::PresenceChoice::NAMES);
    let variables =
        &template["Resources"]["AvailabilityFunction"]["Properties"]["Environment"]["Variables"];
    let mut deployable = Vec::new();
    for source in availability::PresenceChoice::NAMES {
        for key in ["", "/cm-handover/msc-api-key"] {
            for url in ["", "https://presence.example/{webstore}"] {
                let parameters = [
                    ("PresenceSource", source),
                    ("MscApiKeyParameter", key),
                    ("JsonPresenceUrl", url),
                ];
                if !failed_rules(&template, &parameters).is_empty() {
                    continue;
                }
                // what the function is given: the blank (sam local) MSC_API_KEY reads as unset
                let set = |name: &str| {
                    evaluate(&template, &parameters, &variables[name])
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .filter(|v| !v.is_empty())
                };
                let declared = set(shared::setup::config::PRESENCE_SOURCE);
                let choice = availability::PresenceChoice::decide(
                    declared.as_deref(),
                    set(shared::setup::config::MSC_API_KEY_PARAM).is_some(),
                    set(shared::setup::config::AVAILABILITY_URL).is_some(),
                )
                .unwrap_or_else(|e| panic!("{parameters:?}: the function would not start: {e}"));
                assert_eq!(choice.name(), source, "{parameters:?}");
                deployable.push(parameters);
            }
        }
    }
    // exactly one way per source gets past the Rules: its own setting and no other
    assert_eq!(
        deployable,
        vec![
            [
                ("PresenceSource", "msc"),
                ("MscApiKeyParameter", "/cm-handover/msc-api-key"),
                ("JsonPresenceUrl", ""),
            ],
            [
                ("PresenceSource", "json"),
                ("MscApiKeyParameter", ""),
                ("JsonPresenceUrl", "https://presence.example/{webstore}"),
            ],
            [
                ("PresenceSource", "none"),
                ("MscApiKeyParameter", ""),
                ("JsonPresenceUrl", ""),
            ],
        ]
    );
    // and a forgotten key says what is missing
    assert_eq!(
        failed_rules(&template, &[("PresenceSource", "msc")]),
        vec![
            "PresenceSource msc needs MscApiKeyParameter (the SSM name of MSC's presence API key)."
        ]
    );
}

#[test]
fn intake_keeps_personal_data_one_hour_by_default_in_the_code_and_the_template() {
    assert_eq!(intake::DEFAULT_TTL_SECONDS, 3600);
    assert_eq!(
        template()["Parameters"]["IntakeTtlSeconds"]["Default"].as_u64(),
        Some(intake::DEFAULT_TTL_SECONDS)
    );
}

#[test]
fn access_logs_hold_no_path_query_source_ip_or_personal_data() {
    let template = template();
    let settings = &template["Resources"]["Api"]["Properties"]["AccessLogSettings"];
    assert!(
        format!("{:?}", settings["DestinationArn"]).contains("ApiAccessLogGroup"),
        "{settings:?}"
    );
    let group = &template["Resources"]["ApiAccessLogGroup"]["Properties"];
    assert!(
        format!("{:?}", group["RetentionInDays"]).contains("LogRetentionDays"),
        "the access logs are kept as long as the functions' logs"
    );
    let format: serde_json::Value =
        serde_json::from_str(settings["Format"].as_str().expect("a format")).expect("JSON lines");
    let fields = format.as_object().expect("one JSON object per request");
    // what an access line may say: none of these can hold a chat id, a token or personal data
    let allowed = [
        "$context.requestId",
        "$context.requestTime",
        "$context.routeKey",
        "$context.status",
        "$context.responseLatency",
        "$context.integrationLatency",
        "$context.integrationStatus",
        "$context.integrationErrorMessage",
        "$context.error.message",
    ];
    for (name, value) in fields {
        let value = value.as_str().expect("every field a string");
        assert!(
            allowed.contains(&value),
            "access log field {name} = {value}"
        );
    }
    for needed in [
        "requestId",
        "time",
        "routeKey",
        "status",
        "responseLatencyMs",
        "integrationError",
    ] {
        assert!(fields.contains_key(needed), "access logs lack {needed}");
    }
}

/// Every (function, metric) the functions can emit, from the code: each answer's metric (every
/// variant of the wire types, listed so that a new one does not compile until it is here), the
/// refusals, the erasure and the latencies.
fn emitted_metrics() -> BTreeSet<(String, String)> {
    use shared::contract::*;
    let mut emitted = BTreeSet::new();
    let mut add = |function: &str, metric: &str| {
        emitted.insert((function.to_owned(), metric.to_owned()));
    };
    let availability = [
        AvailabilityReason::AgentsAvailable,
        AvailabilityReason::NoAgentsAvailable,
        AvailabilityReason::UpstreamUnavailable,
        AvailabilityReason::PresenceCheckDisabled,
        AvailabilityReason::ChannelNotServed,
        AvailabilityReason::OutsideBusinessHours,
        AvailabilityReason::Closed,
        AvailabilityReason::ClosedUntilFurtherNotice,
    ];
    for reason in availability {
        match reason {
            AvailabilityReason::AgentsAvailable
            | AvailabilityReason::NoAgentsAvailable
            | AvailabilityReason::UpstreamUnavailable
            | AvailabilityReason::PresenceCheckDisabled
            | AvailabilityReason::ChannelNotServed
            | AvailabilityReason::OutsideBusinessHours
            | AvailabilityReason::Closed
            | AvailabilityReason::ClosedUntilFurtherNotice => {}
        }
        add(
            "availability",
            AvailabilityResponse::new(AgentStatus::Offline, reason).metric(),
        );
    }
    add("availability", shared::setup::metrics::PRESENCE_LATENCY);
    add("availability", shared::setup::metrics::OVERFLOWED);
    for (stored, invalid, reason) in [
        (true, vec![], None),
        (false, vec![IntakeField::Email], None),
        (false, vec![], None),
        (false, vec![], Some(IntakeReason::StoreUnavailable)),
    ] {
        let response = IntakeResponse::new(stored, vec![], invalid, reason);
        add("intake", response.metric());
    }
    add("intake", INTAKE_ERASED);
    add("intake", shared::ApiError::StoreUnavailable.metric());
    let reasons = [
        None,
        Some(HandoverReason::AlreadyHandedOver),
        Some(HandoverReason::HandoverInProgress),
        Some(HandoverReason::UpstreamRejected),
        Some(HandoverReason::UpstreamTimeout),
        Some(HandoverReason::UpstreamUnreachable),
        Some(HandoverReason::StoreUnavailable),
    ];
    for handover_status in [
        HandoverStatus::Success,
        HandoverStatus::Pending,
        HandoverStatus::Failed,
    ] {
        for reason in reasons {
            add(
                "handover",
                HandoverResponse {
                    handover_status,
                    reason,
                }
                .metric(),
            );
        }
    }
    add("handover", shared::setup::metrics::ROUTING_LATENCY);
    let reasons = [
        None,
        Some(MessageReason::AlreadySent),
        Some(MessageReason::MessageInProgress),
        Some(MessageReason::MissingEmail),
        Some(MessageReason::EmailRefused),
        Some(MessageReason::LimitReached),
        Some(MessageReason::MissingMessage),
        Some(MessageReason::UpstreamRejected),
        Some(MessageReason::OutcomeUnknown),
        Some(MessageReason::UpstreamUnreachable),
        Some(MessageReason::StoreUnavailable),
    ];
    for message_status in [
        MessageStatus::Sent,
        MessageStatus::Pending,
        MessageStatus::Failed,
    ] {
        for reason in reasons {
            add(
                "message",
                MessageResponse {
                    message_status,
                    reason,
                    limit: None,
                }
                .metric(),
            );
        }
    }
    add("message", shared::setup::metrics::MAIL_LATENCY);
    add("message", shared::setup::metrics::MESSAGE_LIMIT_REACHED);
    for function in ["availability", "intake", "handover", "message"] {
        for refusal in shared::setup::metrics::REFUSALS {
            add(function, refusal);
        }
        // every body is read by http::json_body, which counts unfilled placeholders by field
        add(function, shared::setup::metrics::UNFILLED_PLACEHOLDER);
        // the Function dimension is the name each composition root gives the metrics
        let main = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(format!("../functions/{function}/src/main.rs")),
        )
        .expect("main.rs");
        assert!(
            main.contains(&format!(
                "shared::setup::metrics::init(&env, \"{function}\")"
            )),
            "{function}'s metrics carry Function={function}"
        );
    }
    emitted
}

/// A metric as the dashboard or an alarm names it: namespace, name and dimensions, with
/// `!Ref`/`${}` of the stack name as `STACK` and of a function as `FUNCTION:<logical id>`.
type NamedMetric = (String, String, Vec<(String, String)>);

fn check_named(
    metric: &NamedMetric,
    emitted: &BTreeSet<(String, String)>,
    seen: &mut BTreeSet<(String, String)>,
) {
    let (namespace, name, dimensions) = metric;
    match namespace.as_str() {
        shared::setup::metrics::DEFAULT_NAMESPACE => {
            let (dimensions, labels) = dimensions.split_at(dimensions.len().min(2));
            let [(service, stack), (function_key, function)] = dimensions else {
                panic!("{metric:?}: our metrics have the dimensions Service and Function");
            };
            // a third dimension only where the code adds one, with a value the code writes
            match labels {
                [] => {}
                [(key, value)] => {
                    use shared::adapters::store::LimitReached;
                    assert_eq!(
                        (name.as_str(), key.as_str()),
                        (shared::setup::metrics::MESSAGE_LIMIT_REACHED, "Limit"),
                        "{metric:?}"
                    );
                    assert!(
                        [
                            LimitReached::Address,
                            LimitReached::Domain,
                            LimitReached::Day
                        ]
                        .iter()
                        .any(|l| l.as_str() == value),
                        "{metric:?}"
                    );
                }
                _ => panic!("{metric:?}: at most one dimension beside Service and Function"),
            }
            assert_eq!(
                (service.as_str(), stack.as_str()),
                ("Service", "STACK"),
                "{metric:?}"
            );
            assert_eq!(function_key, "Function", "{metric:?}");
            let key = (function.clone(), name.clone());
            assert!(emitted.contains(&key), "{metric:?} is never emitted");
            seen.insert(key);
        }
        "AWS/Lambda" => {
            assert!(
                ["Errors", "Throttles"].contains(&name.as_str()),
                "{metric:?}"
            );
            let [(key, function)] = dimensions.as_slice() else {
                panic!("{metric:?}: one FunctionName");
            };
            assert_eq!(key, "FunctionName", "{metric:?}");
            assert!(
                [
                    "FUNCTION:AvailabilityFunction",
                    "FUNCTION:IntakeFunction",
                    "FUNCTION:HandoverFunction",
                    "FUNCTION:MessageFunction"
                ]
                .contains(&function.as_str()),
                "{metric:?}"
            );
        }
        other => panic!("{metric:?}: unexpected namespace {other}"),
    }
}

fn rendered(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Tagged(tagged) if tagged.tag == "!Ref" => {
            match tagged.value.as_str().expect("!Ref names something") {
                "AWS::StackName" => "STACK".to_owned(),
                name => format!("FUNCTION:{name}"),
            }
        }
        other => panic!("unexpected value {other:?}"),
    }
}

#[test]
fn the_dashboard_and_the_alarms_name_only_metrics_the_functions_emit() {
    let template = template();
    let emitted = emitted_metrics();
    let mut seen = BTreeSet::new();

    let body = &template["Resources"]["Dashboard"]["Properties"]["DashboardBody"];
    let Value::Tagged(sub) = body else {
        panic!("DashboardBody is a !Sub")
    };
    assert_eq!(sub.tag.to_string(), "!Sub");
    let mut text = sub.value.as_str().expect("a !Sub string").to_owned();
    for (placeholder, value) in [
        ("${AWS::StackName}", "STACK"),
        ("${AWS::Region}", "eu-west-1"),
        ("${AvailabilityBudgetMs}", "2500"),
        ("${HandoverBudgetMs}", "2500"),
        ("${MessageBudgetMs}", "2500"),
        ("${AvailabilityFunction}", "FUNCTION:AvailabilityFunction"),
        ("${IntakeFunction}", "FUNCTION:IntakeFunction"),
        ("${HandoverFunction}", "FUNCTION:HandoverFunction"),
    ] {
        text = text.replace(placeholder, value);
    }
    assert!(
        !text.contains("${"),
        "an unknown substitution in the dashboard"
    );
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let widgets = dashboard["widgets"].as_array().expect("widgets");
    for widget in widgets {
        for metric in widget["properties"]["metrics"].as_array().expect("metrics") {
            if let Some(expression) = metric[0]["expression"].as_str() {
                // a search over metrics with an extra dimension: UnfilledPlaceholder by Field (of
                // every function of this stack), Overflowed by Webstore, and a function's
                // answers by Channel (each also on the dashboard without it)
                let namespace = shared::setup::metrics::DEFAULT_NAMESPACE;
                let by = |dimension: &str, metric: &str| {
                    format!(
                        "SEARCH('{{{namespace},Service,Function,{dimension}}} MetricName=\"{metric}\" Service=\"STACK\"', 'Sum', 300)"
                    )
                };
                if expression == by("Field", shared::setup::metrics::UNFILLED_PLACEHOLDER) {
                    for function in ["availability", "intake", "handover", "message"] {
                        seen.insert((
                            function.to_owned(),
                            shared::setup::metrics::UNFILLED_PLACEHOLDER.to_owned(),
                        ));
                    }
                } else if expression == by("Webstore", shared::setup::metrics::OVERFLOWED) {
                    seen.insert((
                        "availability".to_owned(),
                        shared::setup::metrics::OVERFLOWED.to_owned(),
                    ));
                } else {
                    let per_channel = ["availability", "handover", "message"].map(|function| {
                        format!(
                            "SEARCH('{{{namespace},Service,Function,Channel}} Service=\"STACK\" Function=\"{function}\"', 'Sum', 300)"
                        )
                    });
                    assert!(
                        per_channel.iter().any(|wanted| wanted == expression),
                        "an unknown search on the dashboard: {expression}"
                    );
                }
                continue;
            }
            let parts: Vec<String> = metric
                .as_array()
                .expect("a metric is a list")
                .iter()
                .map(|p| {
                    p.as_str()
                        .expect("no shorthand or options in the list")
                        .to_owned()
                })
                .collect();
            let dimensions = parts[2..]
                .chunks(2)
                .map(|pair| (pair[0].clone(), pair[1].clone()))
                .collect();
            check_named(
                &(parts[0].clone(), parts[1].clone(), dimensions),
                &emitted,
                &mut seen,
            );
        }
    }
    // the budgets the latency widgets are drawn against are the template's
    assert_eq!(text.matches(r#""value": 2500"#).count(), 3);
    // and it shows every answer the functions count (a new metric needs a place on it)
    let unshown: Vec<_> = emitted.difference(&seen).collect();
    assert!(unshown.is_empty(), "not on the dashboard: {unshown:?}");

    // the alarms, with a mailbox (so that every `!If` entry is there, and checked)
    let mailbox = [
        ("MessageFromIdentity", "shop.example"),
        ("MessageFrom", "chat@shop.example"),
        ("MessageTo", "support@shop.example"),
    ];
    let mut alarmed = BTreeSet::new();
    let mut alarms = 0;
    for (_, resource) in template["Resources"].as_mapping().expect("Resources") {
        if resource["Type"].as_str() != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        alarms += 1;
        let alarm = &resource["Properties"];
        let dimensions = |list: &Value| -> Vec<(String, String)> {
            list.as_sequence()
                .expect("dimensions")
                .iter()
                .map(|d| (rendered(&d["Name"]), rendered(&d["Value"])))
                .collect()
        };
        if let Some(name) = alarm["MetricName"].as_str() {
            let metric = (
                rendered(&alarm["Namespace"]),
                name.to_owned(),
                dimensions(&alarm["Dimensions"]),
            );
            check_named(&metric, &emitted, &mut alarmed);
        } else {
            for query in alarm["Metrics"].as_sequence().expect("Metrics") {
                // an `!If` entry is checked as the stack with a mailbox has it
                let Some(query) = evaluate(&template, &mailbox, query) else {
                    continue;
                };
                let Some(stat) = query.get("MetricStat") else {
                    // an expression over the others (checked by the sum test)
                    assert!(query.get("Expression").is_some(), "{query:?}");
                    continue;
                };
                let metric = &stat["Metric"];
                check_named(
                    &(
                        rendered(&metric["Namespace"]),
                        rendered(&metric["MetricName"]),
                        dimensions(&metric["Dimensions"]),
                    ),
                    &emitted,
                    &mut alarmed,
                );
            }
        }
    }
    assert_eq!(alarms, 6);
    // the message function's entries among them, those behind `!If` too
    for watched in [
        ("message", "RefusedUnauthorized"),
        ("message", "MessageFailed"),
        ("message", "MessageLimitReached"),
        ("handover", "HandoverFailed"),
    ] {
        assert!(
            alarmed.contains(&(watched.0.to_owned(), watched.1.to_owned())),
            "no alarm checked {watched:?}: {alarmed:?}"
        );
    }
}

/// The policy docs/deploy.md gives the person deploying: every kind of resource the template
/// creates is one its actions may create and delete, and it names the stack docs/deploy.md uses.
#[test]
fn the_deployers_policy_covers_every_kind_of_resource_the_template_creates() {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/deployer-policy.json"),
    )
    .expect("docs/deployer-policy.json");
    let policy: serde_json::Value = serde_json::from_str(&text).expect("the policy is JSON");
    let actions: BTreeSet<String> = policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .flat_map(|s| {
            let action = &s["Action"];
            action
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![action.clone()])
        })
        .map(|a| a.as_str().expect("an action").to_owned())
        .collect();
    let needs = |kind: &str| -> &[&str] {
        match kind {
            "AWS::Serverless::Function" => &[
                "lambda:CreateFunction",
                "lambda:DeleteFunction",
                "iam:CreateRole",
                "iam:PassRole",
                "iam:DeleteRole",
            ],
            "AWS::Serverless::HttpApi" => &["apigateway:POST", "apigateway:DELETE"],
            "AWS::DynamoDB::Table" => &[
                "dynamodb:CreateTable",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:DeleteTable",
            ],
            "AWS::Logs::LogGroup" => &["logs:CreateLogGroup", "logs:DeleteLogGroup"],
            "AWS::IAM::Policy" => &["iam:PutRolePolicy", "iam:DeleteRolePolicy"],
            "AWS::CloudWatch::Alarm" => &["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
            "AWS::CloudWatch::Dashboard" => {
                &["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"]
            }
            other => panic!("{other}: a kind of resource docs/deployer-policy.json does not cover"),
        }
    };
    let template = template();
    for (_, resource) in template["Resources"].as_mapping().expect("Resources") {
        let kind = resource["Type"].as_str().expect("a type");
        for action in needs(kind) {
            assert!(actions.contains(*action), "{kind} needs {action}");
        }
    }
    for action in [
        "cloudformation:CreateChangeSet",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:DeleteStack",
        "s3:PutObject",
        "ssm:PutParameter",
        "ssm:DeleteParameters",
        "ses:CreateEmailIdentity",
        "ses:DeleteEmailIdentity",
    ] {
        assert!(actions.contains(action), "{action}");
    }
    assert!(text.contains("stack/cm-livechat-handover/*"));
    assert!(text.contains("transform/Serverless-2016-10-31"));
}

/// A customer-managed key is optional (`KmsKeyArn`; empty keeps AWS-managed encryption): with
/// one, the table, every log group and the functions' environment use it, and the functions'
/// roles may use that key and no other.
#[test]
fn a_customer_managed_key_is_optional_and_covers_the_table_the_logs_and_the_environment() {
    let template = template();
    assert_eq!(
        template["Parameters"]["KmsKeyArn"]["Default"].as_str(),
        Some("")
    );
    let with_key = format!(
        "{:?}",
        serde_norway::from_str::<Value>("!If [HasKmsKey, !Ref KmsKeyArn, !Ref AWS::NoValue]")
            .expect("YAML")
    );
    let rendered_of = |v: &Value| format!("{v:?}");
    let sse = &template["Resources"]["HandoverTable"]["Properties"]["SSESpecification"];
    assert_eq!(rendered_of(&sse["KMSMasterKeyId"]), with_key);
    assert_eq!(sse["SSEEnabled"].as_bool(), Some(true));
    assert_eq!(
        rendered_of(&template["Globals"]["Function"]["KmsKeyArn"]),
        with_key
    );
    let mut log_groups = 0;
    for (name, resource) in template["Resources"].as_mapping().expect("Resources") {
        if resource["Type"].as_str() == Some("AWS::Logs::LogGroup") {
            log_groups += 1;
            assert_eq!(
                rendered_of(&resource["Properties"]["KmsKeyId"]),
                with_key,
                "{name:?}"
            );
        }
    }
    assert_eq!(log_groups, 5);
    let policy = &template["Resources"]["KmsKeyUse"];
    assert_eq!(policy["Condition"].as_str(), Some("HasKmsKey"));
    let statements = policy["Properties"]["PolicyDocument"]["Statement"]
        .as_sequence()
        .expect("statements");
    assert_eq!(statements.len(), 1);
    assert_eq!(
        rendered_of(&statements[0]["Resource"]),
        format!(
            "{:?}",
            serde_norway::from_str::<Value>("!Ref KmsKeyArn").expect("YAML")
        )
    );
    let actions: BTreeSet<&str> = statements[0]["Action"]
        .as_sequence()
        .expect("actions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        actions,
        BTreeSet::from(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
    );
    let roles = rendered_of(&policy["Properties"]["Roles"]);
    for function in [
        "AvailabilityFunction",
        "IntakeFunction",
        "HandoverFunction",
        "MessageFunction",
    ] {
        assert!(roles.contains(&format!("{function}Role")), "{roles}");
    }
}

/// The languages reach the functions that write in them: availability the customer's, handover
/// and message the team's, with the opening hours' parameter (each web store's `agentLanguage`)
/// and leave to read it only when there is one.
#[test]
fn each_language_reaches_the_functions_that_write_in_it() {
    let template = template();
    let variables = |function: &str| {
        template["Resources"][function]["Properties"]["Environment"]["Variables"].clone()
    };
    assert_eq!(
        format!(
            "{:?}",
            variables("AvailabilityFunction")["CUSTOMER_LANGUAGE"]
        ),
        format!(
            "{:?}",
            serde_norway::from_str::<Value>("!Ref CustomerLanguage").expect("YAML")
        )
    );
    for function in ["HandoverFunction", "MessageFunction"] {
        let variables = variables(function);
        assert_eq!(
            format!("{:?}", variables["AGENT_LANGUAGE"]),
            format!(
                "{:?}",
                serde_norway::from_str::<Value>("!Ref AgentLanguage").expect("YAML")
            ),
            "{function}"
        );
        assert!(variables.get("CUSTOMER_LANGUAGE").is_none(), "{function}");
        assert!(
            format!("{:?}", variables["BUSINESS_HOURS_PARAM"]).contains("HasBusinessHours"),
            "{function}"
        );
        let hours_readable = permissions(function)
            .into_iter()
            .filter(|(action, resource)| {
                action == "ssm:GetParameter" && resource.contains("BusinessHoursParameter")
            })
            .count();
        assert_eq!(
            hours_readable, 1,
            "{function} may read the opening hours' parameter"
        );
    }
    // the parameters accept exactly the languages the code writes in
    for parameter in ["CustomerLanguage", "AgentLanguage"] {
        let allowed: Vec<String> = template["Parameters"][parameter]["AllowedValues"]
            .as_sequence()
            .map(|values| {
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut expected = vec![String::new()];
        expected.extend(
            shared::rules::language::Language::ALL
                .iter()
                .map(|l| l.code().to_owned()),
        );
        assert_eq!(allowed, expected, "{parameter}");
    }
}
