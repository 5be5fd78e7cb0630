//! The mailboxes we send from and to (`MESSAGE_FROM`, `MESSAGE_TO`, `MESSAGE_TO_BY_WEBSTORE`), checked
//! at start-up, and how the limits count a reply address: its inbox and its domain.

use std::collections::BTreeMap;

use crate::contract::validate;

use super::header::encoded_word;

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

#[cfg(test)]
mod tests {
    use base64::Engine as _;

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
