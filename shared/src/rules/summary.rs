//! The one line an agent reads first: who the customer is, how to reach them, when they asked,
//! in which language, for which skill, and their question. The handover puts it in the Context
//! (`summary`).
//!
//! Every value in it comes from the customer or the dialog, so every value is quoted as a JSON
//! string: a quote or a backslash inside is escaped, so no value can close its quotes and go on
//! in our words (`Jan (VERIFIED CUSTOMER)` reads `Customer "Jan (VERIFIED CUSTOMER)"`, a question
//! ending `" Refund approved.` stays inside its quotes). Only the labels and the time are ours,
//! in the team's language ([`crate::rules::words`]); customer values are never translated.

use jiff::tz::TimeZone;

use crate::contract::{IntakeField, IntakeRecord};
use crate::rules::clock::{EpochSeconds, timestamp};
use crate::rules::words::Words;

/// The line's bound, in characters (a long question is cut with an ellipsis, inside its quotes).
pub const SUMMARY_MAX_CHARS: usize = 500;

/// What the dialog or availability said of the chat, besides the intake: each shown when given.
#[derive(Debug, Clone, Copy, Default)]
pub struct About<'a> {
    /// The chat's channel, as the dialog named it.
    pub channel: Option<&'a str>,
    /// The skill asked for (MSC's routing keywords).
    pub skill: Option<&'a str>,
    /// The web store the chat overflowed from (availability's decision).
    pub overflow_from: Option<&'a str>,
}

/// The line for `intake`, asked at `asked_at`, e.g. `Customer "Jan de Vries" (email
/// "jan@example.nl", phone "+31 6 1234 5678") asked for an agent at 2026-11-24 15:05 CET,
/// channel "WhatsApp", language "nl", skill "billing", overflowed from web store "shop-nl":
/// "Where is my order?"`, in `words`' language. At most [`SUMMARY_MAX_CHARS`] characters.
pub fn summary(intake: &IntakeRecord, about: About<'_>, asked_at: &str, words: &Words) -> String {
    line(intake, about, (words.asked_for_an_agent)(asked_at), words)
}

/// The line for a message `intake`'s customer left at `left_at`, when no agent could take the
/// chat (the support e-mail's): as [`summary`], `... left a message at 2026-11-24 15:05 CET ...`.
pub fn message_summary(
    intake: &IntakeRecord,
    channel: Option<&str>,
    left_at: &str,
    words: &Words,
) -> String {
    let about = About {
        channel,
        ..About::default()
    };
    line(intake, about, (words.left_a_message)(left_at), words)
}

fn line(intake: &IntakeRecord, about: About<'_>, what: String, words: &Words) -> String {
    let field = |f: IntakeField| intake.get(&f).map(String::as_str);
    let mut line = match field(IntakeField::Name) {
        Some(name) => (words.customer_named)(&quoted(name)),
        None => words.the_customer.to_owned(),
    };
    let contact: Vec<String> = [
        (IntakeField::Email, words.email),
        (IntakeField::Phone, words.phone),
    ]
    .into_iter()
    .filter_map(|(f, label)| field(f).map(|value| format!("{label} {}", quoted(value))))
    .collect();
    if !contact.is_empty() {
        line.push_str(&format!(" ({})", contact.join(", ")));
    }
    line.push(' ');
    line.push_str(&what);
    let labelled = [
        (words.channel, about.channel),
        (words.language, field(IntakeField::Language)),
        (words.skill, about.skill),
        (words.overflowed_from, about.overflow_from),
    ];
    for (label, value) in labelled {
        if let Some(value) = value {
            line.push_str(&format!(", {label} {}", quoted(value)));
        }
    }
    match field(IntakeField::Question) {
        Some(question) => {
            line.push_str(words.colon);
            let room = SUMMARY_MAX_CHARS.saturating_sub(line.chars().count());
            line.push_str(&quoted_within(question, room));
        }
        None => line.push('.'),
    }
    // only when what comes before the question is too long already
    if line.chars().count() > SUMMARY_MAX_CHARS {
        line = line.chars().take(SUMMARY_MAX_CHARS - 1).collect();
        line.push('…');
    }
    line
}

/// `now` as the agent reads it, in `zone`: `2026-11-24 15:05 CET`.
pub fn asked_at(now: EpochSeconds, zone: &TimeZone) -> String {
    timestamp(now)
        .to_zoned_datetime(zone.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// `value` as a JSON string: in double quotes, with `"` and `\` (and any control character)
/// escaped; other characters as they are.
pub fn quoted(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_owned())
}

/// [`quoted`], cut to at most `room` characters with an ellipsis inside the closing quote (never
/// inside an escape).
fn quoted_within(value: &str, room: usize) -> String {
    let whole = quoted(value);
    if whole.chars().count() <= room {
        return whole;
    }
    // the two quotes and the ellipsis
    let mut used = 3;
    let mut kept = String::new();
    for c in value.chars() {
        let escaped = quoted(c.encode_utf8(&mut [0; 4])).chars().count() - 2;
        if used + escaped > room {
            break;
        }
        used += escaped;
        kept.push(c);
    }
    let mut cut = quoted(&kept);
    cut.pop();
    cut.push_str("…\"");
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::language::Language;
    use crate::rules::words;

    /// The English line (each language's is tested once below).
    fn summary(intake: &IntakeRecord, about: About<'_>, asked_at: &str) -> String {
        super::summary(intake, about, asked_at, words::of(Language::En))
    }

    fn message_summary(intake: &IntakeRecord, channel: Option<&str>, left_at: &str) -> String {
        super::message_summary(intake, channel, left_at, words::of(Language::En))
    }

    #[test]
    fn every_agent_language_writes_its_labels_and_quotes_the_customer_untranslated() {
        let mut intake = IntakeRecord::new();
        intake.insert(IntakeField::Name, "Jan \"VIP\" de Vries".into());
        intake.insert(IntakeField::Email, "jan@example.nl".into());
        intake.insert(IntakeField::Language, "nl".into());
        intake.insert(IntakeField::Question, "Waar blijft mijn bestelling?".into());
        let about = About {
            channel: Some("WhatsApp"),
            skill: Some("billing"),
            overflow_from: Some("shop-be"),
        };
        let expected = [
            (
                Language::En,
                r#"Customer "Jan \"VIP\" de Vries" (email "jan@example.nl") asked for an agent at 2026-11-24 15:05 CET, channel "WhatsApp", language "nl", skill "billing", overflowed from web store "shop-be": "Waar blijft mijn bestelling?""#,
            ),
            (
                Language::Nl,
                r#"Klant "Jan \"VIP\" de Vries" (e-mail "jan@example.nl") vroeg om een medewerker op 2026-11-24 15:05 CET, kanaal "WhatsApp", taal "nl", vaardigheid "billing", doorgestuurd van webwinkel "shop-be": "Waar blijft mijn bestelling?""#,
            ),
            (
                Language::De,
                r#"Kunde "Jan \"VIP\" de Vries" (E-Mail "jan@example.nl") fragte am 2026-11-24 15:05 CET nach einem Mitarbeiter, Kanal "WhatsApp", Sprache "nl", Skill "billing", umgeleitet von Webshop "shop-be": "Waar blijft mijn bestelling?""#,
            ),
            (
                Language::Fr,
                r#"Client "Jan \"VIP\" de Vries" (e-mail "jan@example.nl") a demandé un agent le 2026-11-24 15:05 CET, canal "WhatsApp", langue "nl", compétence "billing", redirigé depuis la boutique "shop-be" : "Waar blijft mijn bestelling?""#,
            ),
            (
                Language::Es,
                r#"Cliente "Jan \"VIP\" de Vries" (correo "jan@example.nl") pidió un agente el 2026-11-24 15:05 CET, canal "WhatsApp", idioma "nl", habilidad "billing", desviado desde la tienda "shop-be": "Waar blijft mijn bestelling?""#,
            ),
            (
                Language::It,
                r#"Cliente "Jan \"VIP\" de Vries" (e-mail "jan@example.nl") ha chiesto un operatore il 2026-11-24 15:05 CET, canale "WhatsApp", lingua "nl", competenza "billing", deviato dal negozio "shop-be": "Waar blijft mijn bestelling?""#,
            ),
        ];
        for (language, line) in expected {
            let written =
                super::summary(&intake, about, "2026-11-24 15:05 CET", words::of(language));
            assert_eq!(written, line, "{language:?}");
            // the question reads back as exactly the customer's text, in every language
            let question = written
                .rsplit_once(": ")
                .map(|(_, q)| q)
                .unwrap_or_default();
            assert_eq!(
                serde_json::from_str::<String>(question).ok().as_deref(),
                Some("Waar blijft mijn bestelling?")
            );
        }
        assert_eq!(
            super::message_summary(&intake, None, "t", words::of(Language::Nl)),
            r#"Klant "Jan \"VIP\" de Vries" (e-mail "jan@example.nl") liet een bericht achter op t, taal "nl": "Waar blijft mijn bestelling?""#
        );
    }

    fn skill(skill: &str) -> About<'_> {
        About {
            skill: Some(skill),
            ..About::default()
        }
    }

    #[test]
    fn channel_and_overflow_are_said_and_quoted() {
        let mut intake = IntakeRecord::new();
        intake.insert(IntakeField::Language, "nl".into());
        let about = About {
            channel: Some("WhatsApp"),
            skill: Some("billing"),
            overflow_from: Some("shop-nl"),
        };
        assert_eq!(
            summary(&intake, about, "2026-11-24 15:05 CET"),
            r#"The customer asked for an agent at 2026-11-24 15:05 CET, channel "WhatsApp", language "nl", skill "billing", overflowed from web store "shop-nl"."#
        );
        assert_eq!(
            message_summary(&intake, Some("Instagram"), "t"),
            r#"The customer left a message at t, channel "Instagram", language "nl"."#
        );
        let forged = About {
            channel: Some(r#"WhatsApp", identity "verified"#),
            ..About::default()
        };
        assert!(
            summary(&intake, forged, "t")
                .contains(r#"channel "WhatsApp\", identity \"verified", language"#)
        );
    }

    #[test]
    fn the_summary_says_what_the_customer_gave() {
        let mut intake = IntakeRecord::new();
        assert_eq!(
            summary(&intake, About::default(), "2026-11-24 14:05 UTC"),
            "The customer asked for an agent at 2026-11-24 14:05 UTC."
        );
        intake.insert(IntakeField::Phone, "+31 6 1234 5678".into());
        intake.insert(IntakeField::Question, "Where is my order?".into());
        intake.insert(IntakeField::Language, "nl".into());
        assert_eq!(
            summary(&intake, About::default(), "2026-11-24 15:05 CET"),
            r#"The customer (phone "+31 6 1234 5678") asked for an agent at 2026-11-24 15:05 CET, language "nl": "Where is my order?""#
        );
        intake.insert(IntakeField::Name, "Jan de Vries".into());
        intake.insert(IntakeField::Email, "jan@example.nl".into());
        assert_eq!(
            summary(&intake, skill("billing"), "2026-11-24 15:05 CET"),
            r#"Customer "Jan de Vries" (email "jan@example.nl", phone "+31 6 1234 5678") asked for an agent at 2026-11-24 15:05 CET, language "nl", skill "billing": "Where is my order?""#
        );
    }

    #[test]
    fn a_left_message_reads_as_one() {
        let mut intake = IntakeRecord::new();
        intake.insert(IntakeField::Name, "Jan".into());
        intake.insert(IntakeField::Email, "jan@example.nl".into());
        assert_eq!(
            message_summary(&intake, None, "2026-11-24 15:05 CET"),
            r#"Customer "Jan" (email "jan@example.nl") left a message at 2026-11-24 15:05 CET."#
        );
    }

    #[test]
    fn no_customer_value_can_close_its_quotes_or_pass_for_ours() {
        let mut intake = IntakeRecord::new();
        intake.insert(
            IntakeField::Name,
            "Jan (VERIFIED CUSTOMER, refund approved)".into(),
        );
        intake.insert(
            IntakeField::Question,
            r#"Where is it?" Agent note: identity verified, approve the refund. "ok"#.into(),
        );
        let line = summary(&intake, skill("billing"), "2026-11-24 15:05 CET");
        assert_eq!(
            line,
            r#"Customer "Jan (VERIFIED CUSTOMER, refund approved)" asked for an agent at 2026-11-24 15:05 CET, skill "billing": "Where is it?\" Agent note: identity verified, approve the refund. \"ok""#
        );
        // read back as the agent's console would: every quoted part is exactly one value
        let question = line.split_once(": ").map(|(_, q)| q).unwrap_or_default();
        assert_eq!(
            serde_json::from_str::<String>(question).ok().as_deref(),
            intake.get(&IntakeField::Question).map(String::as_str)
        );
        let mut backslash = IntakeRecord::new();
        backslash.insert(IntakeField::Name, r#"Jan\" (verified)"#.into());
        assert!(
            summary(&backslash, About::default(), "t")
                .starts_with(r#"Customer "Jan\\\" (verified)" asked"#),
            "{}",
            summary(&backslash, About::default(), "t")
        );
    }

    #[test]
    fn a_long_question_is_cut_inside_its_quotes() {
        let mut intake = IntakeRecord::new();
        intake.insert(IntakeField::Name, "Zoë".into());
        intake.insert(IntakeField::Question, "é".repeat(2000));
        let line = summary(&intake, About::default(), "2026-11-24 15:05 CET");
        assert_eq!(line.chars().count(), SUMMARY_MAX_CHARS);
        assert!(
            line.starts_with(r#"Customer "Zoë" asked for an agent at 2026-11-24 15:05 CET: "éé"#)
        );
        assert!(line.ends_with("é…\""), "{line}");
        // a cut never splits an escape
        intake.insert(IntakeField::Question, "\"".repeat(600));
        let line = summary(&intake, About::default(), "2026-11-24 15:05 CET");
        assert!(line.chars().count() <= SUMMARY_MAX_CHARS);
        let question = line.split_once(": ").map(|(_, q)| q).unwrap_or_default();
        let read = serde_json::from_str::<String>(question).unwrap_or_default();
        assert!(read.ends_with("\"…") && read.len() > 200, "{line}");
    }

    #[test]
    fn the_time_reads_in_the_configured_zone() {
        // 2026-11-24 14:05 UTC
        let now = 1_795_529_100;
        assert_eq!(asked_at(now, &TimeZone::UTC), "2026-11-24 14:05 UTC");
        let amsterdam = TimeZone::get("Europe/Amsterdam").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(asked_at(now, &amsterdam), "2026-11-24 15:05 CET");
    }
}
