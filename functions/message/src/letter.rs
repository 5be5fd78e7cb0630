//! What a message request may ask for and what the support mailbox receives for it: the
//! request's checks ([`MessageOrder::parse`]) and the choice of text and reply address
//! ([`contents`]), a plain function of the request and the stored intake.

use shared::ApiError;
use shared::contract::validate::{self, ChatId};
use shared::contract::{IntakeField, IntakeRecord, MessageReason, MessageRequest};
use shared::rules::mail::header_address;

/// The longest message, in characters (line breaks included).
pub const MESSAGE_MAX_LEN: usize = 2000;

/// A message request that passed every check.
#[derive(Debug)]
pub struct MessageOrder {
    pub chat: ChatId,
    pub webstore: Option<String>,
    pub channel: Option<String>,
    pub message: Option<String>,
}

impl MessageOrder {
    pub fn parse(request: MessageRequest) -> Result<Self, ApiError> {
        let chat =
            ChatId::parse(&request.chat_id).map_err(|e| ApiError::invalid_field("chatId", e))?;
        let webstore =
            ApiError::check_optional("webstore", request.webstore.as_deref(), validate::webstore)?;
        let channel =
            ApiError::check_optional("channel", request.channel.as_deref(), validate::channel)?;
        let message = request
            .message
            .as_deref()
            .map(|v| {
                validate::paragraphs(v, MESSAGE_MAX_LEN)
                    .map_err(|e| ApiError::invalid_field("message", e))
            })
            .transpose()?;
        Ok(Self {
            chat,
            webstore,
            channel,
            message,
        })
    }
}

/// What the e-mail carries besides the intake: the customer's text and the address a reply goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub text: String,
    pub reply_to: String,
}

/// The text (the request's `message`, else the stored question) and the reply address (the
/// stored e-mail, its domain in ASCII); without an address or a text, the reason nothing is sent.
pub fn contents(order: &MessageOrder, intake: &IntakeRecord) -> Result<Contents, MessageReason> {
    let reply_to = intake
        .get(&IntakeField::Email)
        .and_then(|email| header_address(email))
        .ok_or(MessageReason::MissingEmail)?;
    let text = order
        .message
        .clone()
        .or_else(|| intake.get(&IntakeField::Question).cloned())
        .ok_or(MessageReason::MissingMessage)?;
    Ok(Contents { text, reply_to })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(message: Option<&str>) -> MessageOrder {
        MessageOrder {
            chat: ChatId::parse("chat-1").expect("a chat id"),
            webstore: None,
            channel: None,
            message: message.map(str::to_owned),
        }
    }

    fn intake(fields: &[(IntakeField, &str)]) -> IntakeRecord {
        fields.iter().map(|(f, v)| (*f, (*v).to_owned())).collect()
    }

    #[test]
    fn the_request_text_wins_over_the_stored_question() {
        let stored = intake(&[
            (IntakeField::Email, "jan@bücher.example"),
            (IntakeField::Question, "Where is my order?"),
        ]);
        assert_eq!(
            contents(&order(Some("Please call me back")), &stored),
            Ok(Contents {
                text: "Please call me back".to_owned(),
                reply_to: "jan@xn--bcher-kva.example".to_owned()
            })
        );
        assert_eq!(
            contents(&order(None), &stored).map(|c| c.text),
            Ok("Where is my order?".to_owned())
        );
    }

    #[test]
    fn without_an_address_or_a_text_nothing_is_sent() {
        let no_email = intake(&[(IntakeField::Question, "q")]);
        assert_eq!(
            contents(&order(Some("m")), &no_email),
            Err(MessageReason::MissingEmail)
        );
        let no_text = intake(&[(IntakeField::Email, "jan@example.nl")]);
        assert_eq!(
            contents(&order(None), &no_text),
            Err(MessageReason::MissingMessage)
        );
    }

    #[test]
    fn the_message_follows_the_text_rules() {
        let parse = |message: &str| {
            MessageOrder::parse(MessageRequest {
                chat_id: "chat-1".to_owned(),
                webstore: None,
                channel: None,
                message: Some(message.to_owned()),
            })
        };
        assert!(parse(&"m".repeat(MESSAGE_MAX_LEN)).is_ok());
        assert!(parse(&"m".repeat(MESSAGE_MAX_LEN + 1)).is_err());
        assert!(parse("a\u{0007}b").is_err());
        assert!(parse("   ").is_err());
        assert_eq!(
            parse("  two   spaces ").ok().and_then(|o| o.message),
            Some("two spaces".to_owned())
        );
        // a message may run over lines (typed with Shift+Enter or pasted): the breaks are kept
        assert_eq!(
            parse("Hello,\r\n\r\nplease call me.")
                .ok()
                .and_then(|o| o.message),
            Some("Hello,\n\nplease call me.".to_owned())
        );
    }
}
