//! What every language's table holds: one sentence per field, each a function of the values it
//! places (a time, a date, the customer's quoted name).

/// One language's sentences.
#[derive(Debug)]
pub struct Words {
    // ---- the customer's: the next opening (`nextOpeningText`)
    /// "today at {time}".
    pub(super) today: fn(&str, Article) -> String,
    /// "tomorrow at {time}".
    pub(super) tomorrow: fn(&str, Article) -> String,
    /// "{date} at {time}".
    pub(super) on: fn(&str, &str, Article) -> String,

    // ---- the agent's: the summary line
    /// `Customer "Jan"`.
    pub customer_named: fn(&str) -> String,
    /// `The customer`.
    pub the_customer: &'static str,
    /// `asked for an agent at {when}`.
    pub asked_for_an_agent: fn(&str) -> String,
    /// `left a message at {when}`.
    pub left_a_message: fn(&str) -> String,
    /// Before a quoted value: `email "…"`.
    pub email: &'static str,
    pub phone: &'static str,
    pub channel: &'static str,
    pub language: &'static str,
    pub skill: &'static str,
    /// `overflowed from web store "…"`.
    pub overflowed_from: &'static str,
    /// Between the line and the customer's question (French sets a space before the colon).
    pub colon: &'static str,

    // ---- the agent's: the support e-mail
    /// `Chat message from "Jan"`.
    pub subject_from: fn(&str) -> String,
    pub subject_anonymous: &'static str,
    /// ` via "shop-nl"`.
    pub subject_via: fn(&str) -> String,
    /// Before a subject whose e-mail may repeat an earlier one.
    pub possible_repeat: &'static str,
    /// The first paragraph of such an e-mail.
    pub repeat_notice: &'static str,
    /// Before the customer's quoted message.
    pub customer_wrote: &'static str,
    /// Labels of the e-mail's lines: name, email, phone, question, language (the intake's
    /// fields, in [`crate::contract::IntakeField::ALL`]'s order).
    pub field_labels: [&'static str; 5],
    pub webstore_label: &'static str,
    pub channel_label: &'static str,
    pub chat_label: &'static str,
    pub time_label: &'static str,
    /// What the web store line says when the request named none.
    pub none: &'static str,
    /// The e-mail's last paragraph: where a reply goes, and that the address was not verified.
    pub reply_note: &'static str,
}

/// The hour a time reads as, for the languages whose word before it depends on it (Spanish
/// `a la 01:00`, `a las 09:00`; Italian `all'08:00`, `alle 09:00`).
#[derive(Debug, Clone, Copy)]
pub struct Article(i8);

impl Words {
    /// "today at 13:00".
    pub fn opens_today(&self, time: &str, hour: i8) -> String {
        (self.today)(time, Article(hour))
    }

    /// "tomorrow at 09:00".
    pub fn opens_tomorrow(&self, time: &str, hour: i8) -> String {
        (self.tomorrow)(time, Article(hour))
    }

    /// "Monday 28 December at 09:00".
    pub fn opens_on(&self, date: &str, time: &str, hour: i8) -> String {
        (self.on)(date, time, Article(hour))
    }
}

impl Article {
    /// Spanish: `la` before one o'clock, `las` before every other hour.
    pub(super) fn es(self) -> &'static str {
        if self.0 == 1 { "a la" } else { "a las" }
    }

    /// Italian: `all'` before the hours read with a vowel (una, otto, undici), `alle` before
    /// the others.
    pub(super) fn it(self) -> &'static str {
        if matches!(self.0, 1 | 8 | 11) {
            "all'"
        } else {
            "alle "
        }
    }
}
