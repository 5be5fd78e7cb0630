//! What a step-1 request asks about ([`Subject`]), read and checked from either body shape, and
//! the token check that lets CAIC's presence-check webhook carry its token in the URL.

use shared::ApiError;
use shared::contract::AvailabilityRequest;
use shared::contract::validate::{self, ChatId};

/// The query parameter that may carry a presence-check token, where the caller cannot send
/// headers (CAIC's presence-check webhook; see `admit` in lib.rs).
pub const URL_TOKEN_PARAMETER: &str = "calloutToken";

/// The longest page `url` accepted, in bytes: MSC's referrer carries it percent-encoded (up to
/// three times as long), which keeps the presence request well inside the 8 KiB request line
/// common servers accept (nginx's default). A longer one is refused before anything is asked.
pub const PAGE_URL_MAX_BYTES: usize = 2048;

/// What a request asks about: its webstore (`webstore`, or `data.context` in CAIC's shape),
/// in CAIC's shape the page the customer is on (`url`), the chat's `channel` and the customer's
/// `language` as given.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Subject {
    pub webstore: Option<String>,
    pub page_url: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
}

/// The chat (when given) and what a request asks about, with every field checked (400
/// otherwise). An unset value is already absent (`http::json_body`): CAIC sends `data.context`
/// empty when `mscWebstore` is unset.
pub(crate) fn chat_and_subject(
    request: AvailabilityRequest,
) -> Result<(Option<ChatId>, Subject), ApiError> {
    let presence_check = request.is_presence_check();
    let chat = request
        .chat_id
        .as_deref()
        .map(|chat_id| ChatId::parse(chat_id).map_err(|e| ApiError::invalid_field("chatId", e)))
        .transpose()?;
    let optional_text =
        |name: &str, value: Option<&str>, max: usize| -> Result<Option<String>, ApiError> {
            value
                .map(|v| validate::text(v, max).map_err(|e| ApiError::invalid_field(name, e)))
                .transpose()
        };
    optional_text("skill", request.skill.as_deref(), 128)?;
    let channel =
        ApiError::check_optional("channel", request.channel.as_deref(), validate::channel)?
            // CAIC's presence check always says WebChat: MSC_CHANNEL decides there, as it always did
            // (a deployment whose MSC counts web chat agents under `Chat` keeps working)
            .filter(|_| !presence_check);
    // a hint, never an error: a value that is no language tag (`Nederlands`, `nl nl`) passes to
    // the next language of the chain, as an unset one does (docs/configuration.md, languages)
    let language = request.language.as_deref().and_then(|v| {
        validate::language(v)
            .inspect_err(|_| {
                tracing::warn!(
                    "the request's language is no language tag; the next language of the chain is used"
                );
            })
            .ok()
    });
    let page_url = optional_text("url", request.url.as_deref(), PAGE_URL_MAX_BYTES)?;
    if page_url
        .as_ref()
        .is_some_and(|url| url.len() > PAGE_URL_MAX_BYTES)
    {
        return Err(ApiError::bad_request(format!(
            "url must be at most {PAGE_URL_MAX_BYTES} bytes"
        )));
    }
    let webstore =
        ApiError::check_optional("webstore", request.webstore.as_deref(), validate::webstore)?;
    let context = request.data.and_then(|d| d.context);
    let context = ApiError::check_optional("data.context", context.as_deref(), validate::webstore)?;
    Ok((
        chat,
        Subject {
            webstore: webstore.or(context),
            page_url,
            channel,
            language,
        },
    ))
}
