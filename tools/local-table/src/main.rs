//! Creates `template.yaml`'s table in a local DynamoDB (the endpoint in
//! `AWS_ENDPOINT_URL_DYNAMODB`), for the local stack: `create-local-table <name>`. A table of
//! that name that exists already is used as it is.

use local_table::{TableError, create_table, table_definition, template_path};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let Some(name) = std::env::args().nth(1) else {
        eprintln!("usage: create-local-table <table name>");
        return std::process::ExitCode::from(2);
    };
    let created = async {
        let definition = table_definition(&template_path())?;
        // the functions' own SDK set-up (its HTTP client and TLS included)
        let sdk = shared::setup::aws::sdk_config()
            .await
            .map_err(|e| TableError::DynamoDb(e.to_string()))?;
        create_table(&sdk, &definition, &name).await
    };
    match created.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(TableError::Exists(_)) => {
            eprintln!("table {name} already exists: using it");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("could not create table {name}: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
