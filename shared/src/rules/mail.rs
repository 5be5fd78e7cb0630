//! The e-mail the message step leaves in the support mailbox when no agent can take the chat:
//! its addresses (checked at start-up) and its text (built from what the customer told the bot).
//!
//! Every header value is ours or checked: addresses are plain `local@domain` (a domain in any
//! script goes out as punycode), a display name with anything beyond printable ASCII goes out as
//! RFC 2047 encoded words of at most 75 characters each, and the subject holds no line break and no `=?` that a mail
//! program could read as the start of an encoded word of the customer's making. Customer values
//! in the subject and the summary are quoted as JSON strings (see [`crate::rules::summary`]), so none can
//! pass for our words.

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::contract::validate;
use crate::contract::{IntakeField, IntakeRecord};
use crate::rules::summary::quoted;
use crate::rules::words::Words;

/// Why an address or the per-web-store map was refused (said at start-up, with the variable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxError {
    #[error(
        "{0:?} is not an e-mail address (write name@example.com or Support <name@example.com>)"
    )]
    NotAnAddress(String),
    #[error(
        "the display name holds a character a mail header cannot carry (a quote, backslash, <, > or a control character)"
    )]
    BadDisplayName,
    #[error("is not a JSON object of web store names to addresses: {0}")]
    NotAMap(String),
    #[error("web store {0:?} is not a web store name")]
    BadWebstore(String),
    #[error("the address for web store {webstore:?}: {error}")]
    BadEntry {
        webstore: String,
        error: Box<MailboxError>,
    },
    #[error("is empty: give at least one web store")]
    EmptyMap,
}

/// An address with an optional display name: `support@example.com` or
/// `Example Support <support@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    name: Option<String>,
    address: String,
}

impl Mailbox {
    /// Reads `address` or `Display Name <address>`. The display name is free text without
    /// quotes, backslashes, angle brackets or control characters; the address follows
    /// [`validate::email`] and its domain may be in any script.
    pub fn parse(raw: &str) -> Result<Self, MailboxError> {
        let raw = raw.trim();
        let (name, address) = match raw.strip_suffix('>').and_then(|rest| rest.rsplit_once('<')) {
            Some((name, address)) => (Some(name.trim()), address.trim()),
            None => (None, raw),
        };
        let name = match name {
            None | Some("") => None,
            Some(name) => {
                // configuration, not typed text: a control character (a line break too) is a
                // mistake here, not something to fold into a space
                if name.contains(char::is_control) {
                    return Err(MailboxError::BadDisplayName);
                }
                let clean = validate::text(name, 128).map_err(|_| MailboxError::BadDisplayName)?;
                if clean.contains(['"', '\\', '<', '>']) {
                    return Err(MailboxError::BadDisplayName);
                }
                Some(clean)
            }
        };
        let address = header_address(address)
            .ok_or_else(|| MailboxError::NotAnAddress(address.to_owned()))?;
        Ok(Self { name, address })
    }

    /// The bare address, as sent (its domain in ASCII).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Whether `address` (an ASCII one, as [`header_address`] gives it) is in this mailbox's
    /// domain or below it.
    pub fn shares_domain_with(&self, address: &str) -> bool {
        let domain = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
        match (domain(&self.address), domain(address)) {
            (Some(ours), Some(theirs)) => theirs == ours || theirs.ends_with(&format!(".{ours}")),
            _ => false,
        }
    }

    /// The address as a header carries it: `"Example Support" <support@example.com>`, the name
    /// as encoded words when it is not plain ASCII.
    pub fn header(&self) -> String {
        match &self.name {
            None => self.address.clone(),
            Some(name) if name.chars().all(|c| c.is_ascii_graphic() || c == ' ') => {
                format!("\"{name}\" <{}>", self.address)
            }
            Some(name) => format!("{} <{}>", encoded_word(name), self.address),
        }
    }
}

/// `address` checked by the one e-mail rule ([`validate::email_ascii`]), with its domain in
/// ASCII (punycode), as SES requires; `None` when it is no address.
pub fn header_address(address: &str) -> Option<String> {
    validate::email_ascii(address).ok()
}

/// The one inbox an address (its ASCII form) delivers to, as the per-address limit counts it, so
/// that one person's inbox is one address however it is written:
/// - case folded (every provider we know delivers `Jan@X` and `jan@x` alike);
/// - a `+tag` dropped from the local part (sub-addressing, RFC 5233: Gmail, Outlook.com, iCloud,
///   Fastmail, Proton and most others deliver `jan+anything@` to `jan@`);
/// - at Gmail (`gmail.com`, `googlemail.com`, one service) dots in the local part dropped, as
///   Gmail ignores them. Other providers' dots are kept: for them a dot makes another address.
pub fn inbox(address: &str) -> String {
    let address = address.trim().to_ascii_lowercase();
    let Some((local, domain)) = address.rsplit_once('@') else {
        return address;
    };
    let local = local.split_once('+').map_or(local, |(base, _)| base);
    match domain {
        "gmail.com" | "googlemail.com" => format!("{}@gmail.com", local.replace('.', "")),
        _ => format!("{local}@{domain}"),
    }
}

/// The domain of an address (its ASCII form), lower case, as the per-domain limit counts it.
pub fn domain(address: &str) -> String {
    address
        .trim()
        .rsplit_once('@')
        .map_or(String::new(), |(_, domain)| domain.to_ascii_lowercase())
}

/// `MESSAGE_TO_BY_WEBSTORE`: a JSON object from web store names (as [`validate::webstore`]
/// reads them) to mailboxes, e.g. `{"shop-nl": "Klantenservice <klant@shop.nl>"}`.
pub fn mailboxes_by_webstore(raw: &str) -> Result<BTreeMap<String, Mailbox>, MailboxError> {
    let entries: BTreeMap<String, String> =
        serde_json::from_str(raw).map_err(|e| MailboxError::NotAMap(e.to_string()))?;
    if entries.is_empty() {
        return Err(MailboxError::EmptyMap);
    }
    entries
        .into_iter()
        .map(|(webstore, mailbox)| {
            let key = validate::webstore(&webstore)
                .map_err(|_| MailboxError::BadWebstore(webstore.clone()))?;
            let mailbox = Mailbox::parse(&mailbox).map_err(|error| MailboxError::BadEntry {
                webstore,
                error: Box::new(error),
            })?;
            Ok((key, mailbox))
        })
        .collect()
}

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

/// `text` made safe for a one-line header: every control or format character a space, no `=?`
/// (an encoded word's opening) left, at most `max` characters.
fn header_text(text: &str, max: usize) -> String {
    let mut line: String = text
        .chars()
        .map(|c| {
            if validate::is_forbidden_char(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    while line.contains("=?") {
        line = line.replace("=?", "= ?");
    }
    if line.chars().count() > max {
        line = line.chars().take(max - 1).collect();
        line.push('…');
    }
    line
}

/// The most bytes of text one encoded word carries: `=?UTF-8?B?` and `?=` around the base64 of
/// 45 bytes (60 characters) make 72, within RFC 2047's 75.
const ENCODED_WORD_BYTES: usize = 45;

/// `text` as RFC 2047 encoded words in UTF-8 and base64, each at most 75 characters and each
/// holding whole characters, separated by spaces (which a reader drops between encoded words).
fn encoded_word(text: &str) -> String {
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (at, c) in text.char_indices() {
        let next = at + c.len_utf8();
        if next - start > ENCODED_WORD_BYTES {
            words.push(&text[start..end]);
            start = end;
        }
        end = next;
    }
    words.push(&text[start..end]);
    words
        .into_iter()
        .map(|chunk| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(chunk)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One inbox is one address for the limits, however it is written; another inbox is not.
    #[test]
    fn an_inbox_is_one_address_in_every_spelling_of_it() {
        for spelling in [
            "jan@example.nl",
            "Jan@Example.NL",
            "jan+shop@example.nl",
            "JAN+a+b@example.nl",
        ] {
            assert_eq!(inbox(spelling), "jan@example.nl", "{spelling}");
        }
        for spelling in [
            "j.a.n@gmail.com",
            "Jan+x@googlemail.com",
            "ja.n+y@GMAIL.com",
        ] {
            assert_eq!(inbox(spelling), "jan@gmail.com", "{spelling}");
        }
        // a dot elsewhere makes another address; another domain another inbox
        assert_eq!(inbox("j.an@example.nl"), "j.an@example.nl");
        assert_ne!(inbox("jan@example.be"), inbox("jan@example.nl"));
        assert_eq!(domain("Jan+x@Example.NL"), "example.nl");
    }
    use crate::rules::language::Language;
    use crate::rules::words;

    #[test]
    fn a_bare_address_and_one_with_a_name_are_read() {
        let bare = Mailbox::parse(" support@example.com ").unwrap();
        assert_eq!(bare.address(), "support@example.com");
        assert_eq!(bare.header(), "support@example.com");
        let named = Mailbox::parse("Example Support <support@example.com>").unwrap();
        assert_eq!(named.address(), "support@example.com");
        assert_eq!(named.header(), "\"Example Support\" <support@example.com>");
    }

    #[test]
    fn a_name_beyond_ascii_is_one_encoded_word_and_a_domain_beyond_ascii_is_punycode() {
        let mailbox = Mailbox::parse("Klantenservice Café <klant@bücher.example>").unwrap();
        assert_eq!(mailbox.address(), "klant@xn--bcher-kva.example");
        assert_eq!(
            mailbox.header(),
            "=?UTF-8?B?S2xhbnRlbnNlcnZpY2UgQ2Fmw6k=?= <klant@xn--bcher-kva.example>"
        );
    }

    #[test]
    fn what_is_no_address_or_would_break_the_header_is_refused() {
        for raw in [
            "",
            "support",
            "support@",
            "<support@example.com",
            "Support <>",
            "a@b.c\r\nBcc: x@evil.example",
            "Support <support@example.com>, other@example.com",
        ] {
            assert!(
                matches!(Mailbox::parse(raw), Err(MailboxError::NotAnAddress(_))),
                "{raw:?}: {:?}",
                Mailbox::parse(raw)
            );
        }
        for raw in [
            "Sup\"port <support@example.com>",
            "Sup\\port <support@example.com>",
            "Sup\nport <support@example.com>",
            "Sup<port <support@example.com>",
        ] {
            assert_eq!(
                Mailbox::parse(raw),
                Err(MailboxError::BadDisplayName),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn the_map_reads_web_stores_to_mailboxes_and_names_what_is_wrong() {
        let map = mailboxes_by_webstore(
            r#"{"shop-nl": "Klant <klant@shop.nl>", "shop-be": "be@shop.be"}"#,
        )
        .unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["shop-nl"].header(), "\"Klant\" <klant@shop.nl>");
        assert_eq!(map["shop-be"].address(), "be@shop.be");

        assert!(matches!(
            mailboxes_by_webstore("[]"),
            Err(MailboxError::NotAMap(_))
        ));
        assert_eq!(mailboxes_by_webstore("{}"), Err(MailboxError::EmptyMap));
        assert_eq!(
            mailboxes_by_webstore(r#"{"..": "a@shop.nl"}"#),
            Err(MailboxError::BadWebstore("..".into()))
        );
        let bad = mailboxes_by_webstore(r#"{"shop-nl": "nobody"}"#).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "the address for web store \"shop-nl\": \"nobody\" is not an e-mail address \
             (write name@example.com or Support <name@example.com>)"
        );
    }

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

    #[test]
    fn a_long_name_beyond_ascii_goes_out_as_several_encoded_words_of_at_most_75_characters() {
        let name = "Klantenservice Zoë Ünal-Çelik — ".repeat(3);
        let mailbox = Mailbox::parse(&format!("{} <klant@shop.nl>", name.trim())).unwrap();
        let header = mailbox.header();
        let (words, address) = header.rsplit_once(' ').unwrap();
        assert_eq!(address, "<klant@shop.nl>");
        let mut decoded = Vec::new();
        for word in words.split(' ') {
            assert!(word.len() <= 75, "{word} is {} long", word.len());
            let b64 = word
                .strip_prefix("=?UTF-8?B?")
                .and_then(|w| w.strip_suffix("?="))
                .unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            // each word holds whole characters
            assert!(String::from_utf8(bytes.clone()).is_ok(), "{word}");
            decoded.extend(bytes);
        }
        assert!(words.split(' ').count() >= 3, "{header}");
        assert_eq!(String::from_utf8(decoded).unwrap(), name.trim());
        // a short one is still one word
        let short = Mailbox::parse("Café <a@shop.nl>").unwrap().header();
        assert_eq!(short, "=?UTF-8?B?Q2Fmw6k=?= <a@shop.nl>");
    }
}
