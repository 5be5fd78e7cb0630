//! How a customer is reached: an e-mail address (one rule for the intake and the mail header,
//! after UTS 46 mapping) and a phone number.

use super::error::FieldError;
use super::text::text;

pub const EMAIL_MAX_LEN: usize = 254;

/// An e-mail address as we store and show it: `local@domain`, the domain as UTS 46 maps it
/// (lower case, compatibility forms folded: `ⓢⓗⓞⓟ.example` is `shop.example`), in Unicode. It
/// passes [`email_ascii`], so an address accepted at intake is one the message can send to.
pub fn email(raw: &str) -> Result<String, FieldError> {
    let (local, ascii_domain) = email_parts(raw)?;
    let (unicode, mapped) = idna::domain_to_unicode(&ascii_domain);
    mapped.map_err(|_| NOT_AN_ADDRESS)?;
    Ok(format!("{local}@{unicode}"))
}

/// An e-mail address as a mail header carries it: its domain in ASCII (punycode), as SES takes
/// it. One rule for all addresses, the customer's and ours:
/// - the local part is RFC 5322 dot-atoms of plain ASCII (letters, digits and
///   ``!#$%&'*+/=?^_`{|}~-``, single dots inside), at most 64 characters, and holds no `=?` or
///   `?=` (an RFC 2047 encoded word, which a mail program would decode);
/// - the domain, after UTS 46 mapping with the STD3 rules (the `idna` crate's strict
///   conversion), is labels of ASCII letters, digits and hyphens (none at a label's ends), at
///   least two, within DNS lengths, the last of at least two characters and not all digits. A
///   character that maps to anything else (`⑴` to `(1)`, `🄁` to `0,`) or a broken punycode
///   label (`xn--zz`) is refused.
pub fn email_ascii(raw: &str) -> Result<String, FieldError> {
    let (local, ascii_domain) = email_parts(raw)?;
    Ok(format!("{local}@{ascii_domain}"))
}

const NOT_AN_ADDRESS: FieldError = FieldError::Malformed("is not an e-mail address");

/// The checked local part and the domain in ASCII ([`email_ascii`]'s rule).
fn email_parts(raw: &str) -> Result<(String, String), FieldError> {
    let value = text(raw, EMAIL_MAX_LEN)?;
    let (local, domain) = value.rsplit_once('@').ok_or(NOT_AN_ADDRESS)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains("=?")
        && !local.contains("?=")
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        });
    if !local_ok {
        return Err(NOT_AN_ADDRESS);
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| NOT_AN_ADDRESS)?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
    if domain_ok {
        Ok((local.to_owned(), ascii))
    } else {
        Err(NOT_AN_ADDRESS)
    }
}

pub const PHONE_MAX_LEN: usize = 32;

/// A phone number as people type it: digits with an optional leading `+` and the separators
/// space, `-`, `.`, `(`, `)`; 6 to 20 digits.
pub fn phone(raw: &str) -> Result<String, FieldError> {
    let value = text(raw, PHONE_MAX_LEN)?;
    let body = value.strip_prefix('+').unwrap_or(&value);
    let chars_ok = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'));
    let digits = body.chars().filter(char::is_ascii_digit).count();
    if chars_ok && (6..=20).contains(&digits) {
        Ok(value)
    } else {
        Err(FieldError::Malformed("is not a phone number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_accepts_real_addresses() {
        for ok in [
            "jan@example.nl",
            "j.de.vries+chat@sub.example.co.uk",
            "o'brien@example.ie",
            "user@bücher.de",
            "x@a-b.io",
        ] {
            assert_eq!(email(ok), Ok(ok.to_owned()));
        }
        assert_eq!(email("  jan@example.nl "), Ok("jan@example.nl".to_owned()));
    }

    #[test]
    fn email_rejects_non_addresses() {
        for bad in [
            "jan",
            "jan@",
            "@example.nl",
            "jan@localhost",
            "jan@example.",
            "jan@.example.nl",
            "jan..x@example.nl",
            ".jan@example.nl",
            "jan @example.nl",
            "jan@exa mple.nl",
            "jan@-example.nl",
            "jan@example.123",
            "a@b@example.nl",
        ] {
            assert!(email(bad).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(
            email(&format!("{}@example.nl", "a".repeat(250))),
            Err(FieldError::TooLong { max: 254 })
        );
    }

    #[test]
    fn one_rule_for_intake_and_the_mail_header_after_uts46_mapping() {
        // what a mapping would turn into something else than a host name is refused at both
        for bad in [
            "eve@b\u{2474}.example",        // ⑴ maps to "(1)"
            "eve@x\u{1F101}victim.example", // 🄁 maps to "0,"
            "eve@xn--zz.example",           // punycode that decodes to nothing
            "=?utf-8?q?cfo?=@shop.example", // an encoded word in the local part
            "eve=?x@shop.example",
            "j\u{00F6}rg@example.de", // the local part is plain ASCII
            "eve@ex_ample.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} must be refused at intake");
            assert!(email_ascii(bad).is_err(), "{bad:?} must not be sent");
        }
        // a compatibility form is stored as what it maps to, so the e-mail shows what it sends
        assert_eq!(
            email("eve@\u{24E2}\u{24D7}\u{24DE}\u{24DF}.example"),
            Ok("eve@shop.example".to_owned())
        );
        assert_eq!(
            email_ascii("eve@\u{24E2}\u{24D7}\u{24DE}\u{24DF}.example"),
            Ok("eve@shop.example".to_owned())
        );
        assert_eq!(
            email("Zoe@B\u{FC}cher.Example"),
            Ok("Zoe@b\u{FC}cher.example".to_owned())
        );
        assert_eq!(
            email_ascii("Zoe@B\u{FC}cher.Example"),
            Ok("Zoe@xn--bcher-kva.example".to_owned())
        );
        assert_eq!(
            email("x@xn--bcher-kva.example"),
            Ok("x@b\u{FC}cher.example".to_owned())
        );
    }

    #[test]
    fn phone_rules() {
        assert_eq!(
            phone("+31 (0)20 123-4567"),
            Ok("+31 (0)20 123-4567".to_owned())
        );
        assert_eq!(phone("0612345678"), Ok("0612345678".to_owned()));
        for bad in ["12345", "call me", "+31 20 12x 4567", "++31201234567"] {
            assert!(phone(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
