//! `template.yaml`'s table, for the places that need it outside AWS: the local stack creates it
//! in DynamoDB Local (`create-local-table`), and the tests create one per test. The template is
//! the one definition the deployed stack, the local stack and the tests share.

use std::path::{Path, PathBuf};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};

/// The table as `template.yaml` defines it.
#[derive(Debug, PartialEq, Eq)]
pub struct TableDefinition {
    /// (name, type) of each attribute definition, e.g. ("pk", "S").
    pub attributes: Vec<(String, String)>,
    /// (name, key type) of each key element, e.g. ("pk", "HASH").
    pub keys: Vec<(String, String)>,
    /// The TTL attribute, when TTL is enabled.
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{path}: {problem}")]
    Template { path: String, problem: String },
    #[error("{0}")]
    DynamoDb(String),
    #[error("table {0} already exists")]
    Exists(String),
}

/// `template.yaml` at the repository root.
pub fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

/// Reads the one `AWS::DynamoDB::Table` resource of the template at `path`.
pub fn table_definition(path: &Path) -> Result<TableDefinition, TableError> {
    let problem = |problem: String| TableError::Template {
        path: path.display().to_string(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| problem(e.to_string()))?;
    let template: serde_norway::Value =
        serde_norway::from_str(&text).map_err(|e| problem(format!("not YAML: {e}")))?;
    let tables: Vec<&serde_norway::Value> = template["Resources"]
        .as_mapping()
        .ok_or_else(|| problem("no Resources".into()))?
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::DynamoDB::Table"))
        .collect();
    let [table] = tables.as_slice() else {
        return Err(problem(format!("defines {} tables, not one", tables.len())));
    };
    let properties = &table["Properties"];
    let pairs = |list: &str, a: &str, b: &str| -> Result<Vec<(String, String)>, TableError> {
        properties[list]
            .as_sequence()
            .ok_or_else(|| problem(format!("the table has no {list}")))?
            .iter()
            .map(|e| {
                let field = |k: &str| {
                    e[k].as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| problem(format!("an entry of {list} has no {k}")))
                };
                Ok((field(a)?, field(b)?))
            })
            .collect()
    };
    let ttl = &properties["TimeToLiveSpecification"];
    let ttl_attribute = if ttl["Enabled"].as_bool() == Some(true) {
        Some(
            ttl["AttributeName"]
                .as_str()
                .ok_or_else(|| problem("the TTL specification has no AttributeName".into()))?
                .to_owned(),
        )
    } else {
        None
    };
    Ok(TableDefinition {
        attributes: pairs("AttributeDefinitions", "AttributeName", "AttributeType")?,
        keys: pairs("KeySchema", "AttributeName", "KeyType")?,
        ttl_attribute,
    })
}

/// A client for set-up: no timeouts and no retries (a retried CreateTable would fail on the
/// table its first attempt made).
pub fn admin_client(sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(sdk)
        .timeout_config(aws_config::timeout::TimeoutConfig::disabled())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

fn dynamodb(error: impl Into<aws_sdk_dynamodb::Error>) -> TableError {
    TableError::DynamoDb(aws_sdk_dynamodb::error::DisplayErrorContext(error.into()).to_string())
}

/// Creates the table `definition` describes under `name` in the DynamoDB that `sdk` points at.
pub async fn create_table(
    sdk: &SdkConfig,
    definition: &TableDefinition,
    name: &str,
) -> Result<(), TableError> {
    let client = admin_client(sdk);
    let attributes = definition
        .attributes
        .iter()
        .map(|(attribute, kind)| {
            AttributeDefinition::builder()
                .attribute_name(attribute)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()
                .map_err(dynamodb_build)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let keys = definition
        .keys
        .iter()
        .map(|(attribute, kind)| {
            KeySchemaElement::builder()
                .attribute_name(attribute)
                .key_type(KeyType::from(kind.as_str()))
                .build()
                .map_err(dynamodb_build)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(keys))
        .send()
        .await
        .map_err(aws_sdk_dynamodb::Error::from);
    match created {
        Ok(_) => {}
        Err(aws_sdk_dynamodb::Error::ResourceInUseException(_)) => {
            return Err(TableError::Exists(name.to_owned()));
        }
        Err(error) => return Err(dynamodb(error)),
    }
    if let Some(attribute) = &definition.ttl_attribute {
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(true)
            .build()
            .map_err(dynamodb_build)?;
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(dynamodb)?;
    }
    Ok(())
}

fn dynamodb_build(error: aws_sdk_dynamodb::error::BuildError) -> TableError {
    TableError::DynamoDb(error.to_string())
}
