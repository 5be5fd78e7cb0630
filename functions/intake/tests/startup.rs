//! The intake binary starting with the standard AWS variables as `sam local` hands them over: a
//! blank `AWS_ENDPOINT_URL_DYNAMODB` (a template `Fn::If` it cannot resolve) once made the SDK
//! panic at the first DynamoDB call. Blank now reads as unset; malformed stops start-up with one
//! line naming the variable.

use std::process::{Command, Output};

/// Runs the binary with the fixtures' configuration plus `extra`, against a Runtime API address
/// where nothing listens: it gets through init (warm-up included) and then stops, as no
/// invocation can come.
fn start(extra: &[(&str, &str)]) -> Output {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.to_string())
        .unwrap_or_else(|e| panic!("a free port: {e}"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_intake"));
    command
        .env_clear()
        .envs([
            ("CALLOUT_TOKENS", "local-dev-callout-token-change-me"),
            ("TABLE_NAME", "cm-handover-local"),
            ("AWS_ACCESS_KEY_ID", "local"),
            ("AWS_SECRET_ACCESS_KEY", "local"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_LAMBDA_FUNCTION_NAME", "intake"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/intake"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "local"),
            ("AWS_LAMBDA_RUNTIME_API", closed.as_str()),
            ("WARM_UP_MS", "300"),
            ("NO_COLOR", "1"),
        ])
        .envs(extra.iter().copied());
    command
        .output()
        .unwrap_or_else(|e| panic!("run the intake binary: {e}"))
}

/// What the binary printed: its log lines (stdout) and the runtime's last words (stderr).
fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn blank_standard_variables_read_as_unset_and_nothing_panics() {
    for blank in [
        // what `sam local` passes for the template's unresolved `Fn::If`
        [
            ("AWS_ENDPOINT_URL_DYNAMODB", ""),
            ("AWS_REGION", "eu-west-1"),
        ],
        // a blank region gives way to the next source, AWS_DEFAULT_REGION
        [("AWS_REGION", " "), ("AWS_DEFAULT_REGION", "eu-west-1")],
    ] {
        let output = start(&blank);
        let log = printed(&output);
        assert!(!log.contains("panicked"), "{blank:?}: {log}");
        assert!(!log.contains("configuration:"), "{blank:?}: {log}");
        // init went through its DynamoDB warm-up, which tried AWS's own endpoint for eu-west-1
        // (not reachable here), to the runtime, which found no Runtime API
        assert!(log.contains("dependency=\"dynamodb\""), "{blank:?}: {log}");
        assert!(!log.contains("`region`"), "{blank:?}: {log}");
    }
}

#[test]
fn a_malformed_standard_variable_stops_start_up_with_one_line_naming_it() {
    for (var, value) in [
        ("AWS_ENDPOINT_URL_DYNAMODB", "dynamodb-local:8000"),
        ("AWS_REGION", "eu west 1"),
    ] {
        let output = start(&[(var, value)]);
        let log = printed(&output);
        assert_eq!(output.status.code(), Some(1), "{var}: {log}");
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 1, "{var}: {log}");
        assert!(
            lines[0].contains(&format!("configuration: {var} is not")),
            "{var}: {log}"
        );
        assert!(
            !log.contains(value),
            "{var}: the value is not repeated: {log}"
        );
    }
}
