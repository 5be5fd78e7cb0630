//! Amazon SES v2: the one call the message step makes, `SendEmail` with simple content in UTF-8
//! (SES builds the MIME message and encodes the subject). The endpoint follows the SDK's
//! variables, `AWS_ENDPOINT_URL_SESV2` among them, as DynamoDB's does.
//!
//! The call is made once: the SDK's own retries are off for it, because SES may have accepted an
//! e-mail whose answer was lost (a timeout, a reset, a 5xx), and a second attempt would send it
//! twice. Whether it may have acted is [`UpstreamError::may_have_acted`]'s to say; the caller's
//! claim ([`crate::rules::once`]) decides what a retry may do.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::ConnectorError;

use crate::rules::mail::{Mail, Mailbox};
use crate::rules::upstream::{UpstreamError, sanitised_prefix};

/// Who sends, to whom, and where a reply goes.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// An address of a verified SES identity.
    pub from: &'a Mailbox,
    /// The support mailbox.
    pub to: &'a Mailbox,
    /// The customer's address, bare (as [`crate::rules::mail::header_address`] gives it).
    pub reply_to: &'a str,
}

/// The SES v2 client the message step sends with.
#[derive(Clone, Debug)]
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
}

/// How long SES may take to open a connection (a refused or unroutable endpoint answers within
/// it, and the e-mail certainly did not leave).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

impl Mailer {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            client: aws_sdk_sesv2::Client::new(sdk),
        }
    }

    /// Sends `mail` once, within `within`; returns the message id SES gave it.
    pub async fn send(
        &self,
        envelope: &Envelope<'_>,
        mail: &Mail,
        within: Duration,
    ) -> Result<String, UpstreamError> {
        let utf8 = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|_| UpstreamError::UnreadableBody)
        };
        let message = Message::builder()
            .subject(utf8(&mail.subject)?)
            .body(Body::builder().text(utf8(&mail.body)?).build())
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(envelope.from.header())
            .destination(
                Destination::builder()
                    .to_addresses(envelope.to.header())
                    .build(),
            )
            .reply_to_addresses(envelope.reply_to)
            .content(EmailContent::builder().simple(message).build())
            .customize()
            .config_override(
                aws_sdk_sesv2::config::Config::builder()
                    .retry_config(RetryConfig::disabled())
                    .timeout_config(
                        TimeoutConfig::builder()
                            .operation_timeout(within)
                            .operation_attempt_timeout(within)
                            .connect_timeout(CONNECT_TIMEOUT.min(within))
                            .build(),
                    ),
            )
            .send()
            .await;
        match sent {
            Ok(output) => Ok(output.message_id().unwrap_or_default().to_owned()),
            Err(error) => Err(classify(error)),
        }
    }
}

/// What a failed `SendEmail` means for us. Only kinds and statuses are read: SES's messages may
/// quote an address, and nothing of them is kept.
fn classify(error: SdkError<SendEmailError, HttpResponse>) -> UpstreamError {
    match error {
        SdkError::TimeoutError(_) => UpstreamError::Timeout,
        SdkError::DispatchFailure(failure) => {
            // a connection that timed out while opening never carried the request either
            if failure.as_connector_error().is_some_and(never_connected) {
                UpstreamError::NotConnected
            } else if failure.is_timeout() {
                UpstreamError::Timeout
            } else {
                UpstreamError::Unreachable
            }
        }
        SdkError::ServiceError(service) => {
            // SES's error code names the cause (`MessageRejected`: in the sandbox, a recipient
            // that is not a verified identity); its message may quote an address: never logged
            let code = aws_sdk_sesv2::error::ProvideErrorMetadata::code(service.err());
            tracing::warn!(ses_error = code, "SES did not take the e-mail");
            answered(service.raw())
        }
        SdkError::ResponseError(response) => answered(response.raw()),
        // the request could not be built or signed: it never left
        SdkError::ConstructionFailure(_) => UpstreamError::UnreadableBody,
        // a kind a later SDK adds: the outcome is unknown
        _ => UpstreamError::Unreachable,
    }
}

/// An answer that is not SES's success: its status, or, for a 2xx SES would not send (a body
/// that is not its JSON), what it looked like. A 2xx is SES's word that it took the e-mail.
fn answered(raw: &HttpResponse) -> UpstreamError {
    let status = raw.status().as_u16();
    if (200..300).contains(&status) {
        let body = raw.body().bytes().unwrap_or_default();
        UpstreamError::UnrecognisedAnswer {
            status,
            length: body.len(),
            prefix: sanitised_prefix(body),
        }
    } else {
        UpstreamError::Status(status)
    }
}

/// Whether the connector failed before a connection was made (refused, unroutable, no name,
/// no connection within the connect timeout), so that SES cannot have received the request.
fn never_connected(error: &ConnectorError) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(reqwest) = cause.downcast_ref::<reqwest::Error>() {
            return reqwest.is_connect();
        }
        source = cause.source();
    }
    false
}
