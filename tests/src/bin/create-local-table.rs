//! Creates `template.yaml`'s table in a local DynamoDB (the endpoint in
//! `AWS_ENDPOINT_URL_DYNAMODB`), for the local stack: `create-local-table <name>`. A table of
//! that name that exists already is used as it is.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Some(name) = std::env::args().nth(1) else {
        eprintln!("usage: create-local-table <table name>");
        return std::process::ExitCode::from(2);
    };
    // the functions' own SDK set-up (its HTTP client and TLS included)
    let sdk = match shared::aws::sdk_config().await {
        Ok(sdk) => sdk,
        Err(error) => {
            eprintln!("{error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match e2e::create_table(&sdk, &name).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(aws_sdk_dynamodb::Error::ResourceInUseException(_)) => {
            eprintln!("table {name} already exists: using it");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "could not create table {name}: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(error)
            );
            std::process::ExitCode::FAILURE
        }
    }
}
