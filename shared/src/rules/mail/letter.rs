//! The e-mail's subject and body, built from what the customer told the bot: the customer's
//! message first, every line quoted, then the summary and each stored field; our words in the
//! team's language.

use crate::contract::{IntakeField, IntakeRecord};
use crate::rules::summary::quoted;
use crate::rules::words::Words;

use super::header::header_text;

/// The longest subject, in characters (an inbox list shows the start).
pub const SUBJECT_MAX_CHARS: usize = 150;

/// What the e-mail is built from: the chat, what the customer told the bot, and when.
#[derive(Debug, Clone, Copy)]
pub struct Letter<'a> {
    pub chat_id: &'a str,
    pub webstore: Option<&'a str>,
    /// The chat's channel, as the dialog named it.
    pub channel: Option<&'a str>,
    pub intake: &'a IntakeRecord,
    /// The text the customer leaves (the request's `message`, else the stored question).
    pub message: &'a str,
    /// The agent's one line about the customer ([`crate::rules::summary::summary`]).
    pub summary: &'a str,
    /// When, in the configured zone ([`crate::rules::summary::asked_at`]).
    pub sent_at: &'a str,
    /// Whether an earlier e-mail for this chat may have arrived (its sending was not confirmed).
    pub repeat: bool,
    /// Our words, in the team's language.
    pub words: &'a Words,
}

/// The subject and plain-text body of a [`Letter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub body: String,
}

/// The subject an agent can triage from the inbox list (who, which web store) and the body:
/// the customer's message first, every line quoted (`> `) so that nothing in it reads as ours,
/// then the summary, each stored field on its own line, the web store, the chat and the time,
/// and what the agent should know: the reply address was given in the chat and not verified.
/// A possible repeat says so in the subject and the first line. Our words are in the team's
/// language (`letter.words`); the customer's are never translated.
pub fn compose(letter: &Letter<'_>) -> Mail {
    let words = letter.words;
    let field = |f: IntakeField| letter.intake.get(&f).map(String::as_str);
    let mut subject = match field(IntakeField::Name) {
        Some(name) => (words.subject_from)(&quoted(name)),
        None => words.subject_anonymous.to_owned(),
    };
    if let Some(webstore) = letter.webstore {
        subject.push_str(&(words.subject_via)(&quoted(webstore)));
    }
    if letter.repeat {
        subject.insert_str(0, words.possible_repeat);
    }
    let subject = header_text(&subject, SUBJECT_MAX_CHARS);

    let mut body = String::new();
    if letter.repeat {
        body.push_str(words.repeat_notice);
        body.push_str("\n\n");
    }
    body.push_str(words.customer_wrote);
    body.push_str("\n\n");
    for line in letter.message.lines() {
        body.push_str("> ");
        body.push_str(line);
        body.push('\n');
    }
    body.push_str("\n-- \n");
    body.push_str(letter.summary);
    body.push_str("\n\n");
    for (f, label) in IntakeField::ALL.into_iter().zip(words.field_labels) {
        if let Some(value) = field(f) {
            body.push_str(&format!("{label}: {value}\n"));
        }
    }
    body.push_str(&format!(
        "{}: {}\n",
        words.webstore_label,
        letter.webstore.unwrap_or(words.none)
    ));
    if let Some(channel) = letter.channel {
        body.push_str(&format!("{}: {channel}\n", words.channel_label));
    }
    body.push_str(&format!("{}: {}\n", words.chat_label, letter.chat_id));
    body.push_str(&format!("{}: {}\n", words.time_label, letter.sent_at));
    body.push('\n');
    body.push_str(words.reply_note);
    body.push('\n');
    Mail { subject, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::language::Language;
    use crate::rules::words;

    fn intake(fields: &[(IntakeField, &str)]) -> IntakeRecord {
        fields.iter().map(|(f, v)| (*f, (*v).to_owned())).collect()
    }

    #[test]
    fn the_mail_leads_with_the_message_then_the_summary_then_every_field() {
        let record = intake(&[
            (IntakeField::Name, "Zoë Janssen"),
            (IntakeField::Email, "zoe@example.nl"),
            (IntakeField::Phone, "+31 6 1234 5678"),
            (IntakeField::Question, "Waar blijft mijn bestelling?"),
        ]);
        let mail = compose(&Letter {
            chat_id: "chat-1",
            webstore: Some("shop-nl"),
            channel: None,
            intake: &record,
            message: "Bel me morgen terug, graag.",
            summary: "SUMMARY",
            sent_at: "2026-12-03 21:05 CET",
            repeat: false,
            words: words::of(Language::En),
        });
        assert_eq!(
            mail.subject,
            "Chat message from \"Zoë Janssen\" via \"shop-nl\""
        );
        assert_eq!(
            mail.body,
            "The customer wrote:\n\n> Bel me morgen terug, graag.\n\n-- \nSUMMARY\n\n\
             name: Zoë Janssen\nemail: zoe@example.nl\nphone: +31 6 1234 5678\n\
             question: Waar blijft mijn bestelling?\n\
             webstore: shop-nl\nchat: chat-1\ntime: 2026-12-03 21:05 CET\n\n\
             The customer left this message in the chat when no agent could take it. \
             Reply to this e-mail to answer them: it goes to the address they typed in the chat, \
             which was not verified.\n"
        );
    }

    #[test]
    fn every_agent_language_writes_our_words_and_leaves_the_customers_as_they_are() {
        let record = intake(&[
            (IntakeField::Name, "Zoë \"VIP\" Janssen"),
            (IntakeField::Email, "zoe@example.nl"),
            (IntakeField::Question, "Where is it?"),
        ]);
        let letter = |language| Letter {
            chat_id: "chat-1",
            webstore: Some("shop-nl"),
            channel: Some("WhatsApp"),
            intake: &record,
            message: "Bel me terug.\nAgent note: refund approved.",
            summary: "SUMMARY",
            sent_at: "2026-12-03 21:05 CET",
            repeat: true,
            words: words::of(language),
        };
        let nl = compose(&letter(Language::Nl));
        assert_eq!(
            nl.subject,
            "Mogelijk herhaald: Chatbericht van \"Zoë \\\"VIP\\\" Janssen\" via \"shop-nl\""
        );
        assert_eq!(
            nl.body,
            "Dit kan een eerdere e-mail over deze chat herhalen: de mailservice heeft die niet bevestigd.\n\n\
             De klant schreef:\n\n> Bel me terug.\n> Agent note: refund approved.\n\n-- \nSUMMARY\n\n\
             naam: Zoë \"VIP\" Janssen\ne-mail: zoe@example.nl\nvraag: Where is it?\n\
             webwinkel: shop-nl\nkanaal: WhatsApp\nchat: chat-1\ntijd: 2026-12-03 21:05 CET\n\n\
             De klant liet dit bericht achter in de chat toen geen medewerker de chat kon aannemen. \
             Beantwoord deze e-mail om de klant te antwoorden: het antwoord gaat naar het adres dat \
             de klant in de chat typte, en dat adres is niet gecontroleerd.\n"
        );
        let subjects: Vec<String> = Language::ALL
            .into_iter()
            .map(|language| compose(&letter(language)).subject)
            .collect();
        assert_eq!(
            subjects,
            [
                r#"Possible repeat: Chat message from "Zoë \"VIP\" Janssen" via "shop-nl""#,
                r#"Mogelijk herhaald: Chatbericht van "Zoë \"VIP\" Janssen" via "shop-nl""#,
                r#"Möglicherweise doppelt: Chatnachricht von "Zoë \"VIP\" Janssen" über "shop-nl""#,
                r#"Doublon possible : Message de chat de "Zoë \"VIP\" Janssen" via "shop-nl""#,
                r#"Posible repetición: Mensaje de chat de "Zoë \"VIP\" Janssen" vía "shop-nl""#,
                r#"Possibile duplicato: Messaggio in chat da "Zoë \"VIP\" Janssen" via "shop-nl""#,
            ]
        );
        for language in Language::ALL {
            let mail = compose(&letter(language));
            let words = words::of(language);
            // the customer's text is quoted, line by line, untranslated
            assert!(
                mail.body
                    .contains("\n\n> Bel me terug.\n> Agent note: refund approved.\n\n-- \n"),
                "{language:?}"
            );
            for line in [
                format!("{}: Zoë \"VIP\" Janssen\n", words.field_labels[0]),
                format!("{}: shop-nl\n", words.webstore_label),
                format!("{}: WhatsApp\n", words.channel_label),
                format!("{}: 2026-12-03 21:05 CET\n", words.time_label),
            ] {
                assert!(mail.body.contains(&line), "{language:?}: {line:?}");
            }
            assert!(mail.body.starts_with(words.repeat_notice), "{language:?}");
            assert!(
                mail.body.ends_with(&format!("{}\n", words.reply_note)),
                "{language:?}"
            );
        }
    }

    #[test]
    fn without_a_name_or_web_store_the_subject_says_so() {
        let record = intake(&[(IntakeField::Email, "a@example.nl")]);
        let mail = compose(&Letter {
            chat_id: "c",
            webstore: None,
            channel: None,
            intake: &record,
            message: "Hi",
            summary: "S",
            sent_at: "T",
            repeat: false,
            words: words::of(Language::En),
        });
        assert_eq!(mail.subject, "Chat message from a customer");
        assert!(
            mail.body.contains("\nwebstore: (none)\nchat: c\n"),
            "{}",
            mail.body
        );
        assert!(!mail.body.contains("name:"), "{}", mail.body);
    }

    #[test]
    fn no_customer_value_can_break_the_subject_line_or_open_an_encoded_word() {
        let record = intake(&[(
            IntakeField::Name,
            "Eve\r\nBcc: all@example.com =?UTF-8?B?VkVSSUZJRUQ=?= \u{202E}x",
        )]);
        let mail = compose(&Letter {
            chat_id: "c",
            webstore: Some("shop\"nl"),
            channel: None,
            intake: &record,
            message: "m",
            summary: "s",
            sent_at: "t",
            repeat: false,
            words: words::of(Language::En),
        });
        assert!(
            !mail.subject.contains(['\r', '\n', '\u{202E}']),
            "{:?}",
            mail.subject
        );
        assert!(!mail.subject.contains("=?"), "{:?}", mail.subject);
        assert_eq!(
            mail.subject,
            "Chat message from \"Eve\\r\\nBcc: all@example.com = ?UTF-8?B?VkVSSUZJRUQ= ?=  x\" via \"shop\\\"nl\""
        );
    }

    #[test]
    fn a_long_name_is_cut_to_the_subject_bound() {
        let long = "A".repeat(400);
        let record = intake(&[(IntakeField::Name, long.as_str())]);
        let mail = compose(&Letter {
            chat_id: "c",
            webstore: None,
            channel: None,
            intake: &record,
            message: "m",
            summary: "s",
            sent_at: "t",
            repeat: false,
            words: words::of(Language::En),
        });
        assert_eq!(mail.subject.chars().count(), SUBJECT_MAX_CHARS);
        assert!(mail.subject.ends_with('…'));
    }

    #[test]
    fn every_line_of_the_customer_text_is_quoted_so_a_forged_footer_reads_as_theirs() {
        let record = intake(&[(IntakeField::Email, "eve@example.nl")]);
        let forged = "Hi\n\n-- \nemail: cfo@shop.example\nVERIFIED: internal request";
        let mail = compose(&Letter {
            chat_id: "c",
            webstore: None,
            channel: None,
            intake: &record,
            message: forged,
            summary: "S",
            sent_at: "T",
            repeat: false,
            words: words::of(Language::En),
        });
        assert!(
            mail.body.starts_with(
                "The customer wrote:\n\n> Hi\n> \n> -- \n> email: cfo@shop.example\n\
                 > VERIFIED: internal request\n\n-- \nS\n"
            ),
            "{}",
            mail.body
        );
        // our one footer, and no line of theirs outside the quote
        assert_eq!(mail.body.matches("\n-- \n").count(), 1, "{}", mail.body);
        assert!(!mail.body.contains("\nVERIFIED"), "{}", mail.body);
    }

    #[test]
    fn a_possible_repeat_says_so_in_the_subject_and_first_line() {
        let record = intake(&[(IntakeField::Name, "Jan")]);
        let mail = compose(&Letter {
            chat_id: "c",
            webstore: None,
            channel: None,
            intake: &record,
            message: "m",
            summary: "S",
            sent_at: "T",
            repeat: true,
            words: words::of(Language::En),
        });
        assert_eq!(mail.subject, "Possible repeat: Chat message from \"Jan\"");
        assert!(
            mail.body.starts_with(
                "This may repeat an earlier e-mail about this chat: the mail service did not \
                 confirm that one.\n\nThe customer wrote:\n\n> m\n"
            ),
            "{}",
            mail.body
        );
    }
}
