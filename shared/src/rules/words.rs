//! Our own sentences, in every language we write in: the only text of ours a customer or an
//! agent reads. Names of months and weekdays, date and time patterns come from CLDR
//! ([`crate::rules::language`]); customer values are never translated and reach these sentences
//! quoted ([`crate::rules::summary::quoted`]).
//!
//! One table per language, each field the same sentence: a translator reads one block.

use jiff::ZonedDateTime;

use crate::rules::language::{self, Language};

/// One language's sentences.
#[derive(Debug)]
pub struct Words {
    // ---- the customer's: the next opening (`nextOpeningText`)
    /// "today at {time}".
    today: fn(&str, Article) -> String,
    /// "tomorrow at {time}".
    tomorrow: fn(&str, Article) -> String,
    /// "{date} at {time}".
    on: fn(&str, &str, Article) -> String,

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
    fn es(self) -> &'static str {
        if self.0 == 1 { "a la" } else { "a las" }
    }

    /// Italian: `all'` before the hours read with a vowel (una, otto, undici), `alle` before
    /// the others.
    fn it(self) -> &'static str {
        if matches!(self.0, 1 | 8 | 11) {
            "all'"
        } else {
            "alle "
        }
    }
}

/// The next opening as a customer reads it, in `language`, on the shop's wall clock (`opens`
/// and `now` in the shop's zone): "today at 13:00", "tomorrow at 09:00", "Monday 28 December at
/// 09:00" (and as each language writes them). Today and tomorrow are the shop's calendar days,
/// whatever the clocks did in between (a daylight-saving change included).
pub fn next_opening_text(language: Language, opens: &ZonedDateTime, now: &ZonedDateTime) -> String {
    let words = of(language);
    let time = language::clock_time(language, opens);
    let today = now.date();
    if opens.date() == today {
        return words.opens_today(&time, opens.hour());
    }
    if today
        .tomorrow()
        .is_ok_and(|tomorrow| opens.date() == tomorrow)
    {
        return words.opens_tomorrow(&time, opens.hour());
    }
    words.opens_on(&language::long_date(language, opens), &time, opens.hour())
}

/// The sentences of `language`.
pub fn of(language: Language) -> &'static Words {
    match language {
        Language::En => &EN,
        Language::Nl => &NL,
        Language::De => &DE,
        Language::Fr => &FR,
        Language::Es => &ES,
        Language::It => &IT,
    }
}

static EN: Words = Words {
    today: |time, _| format!("today at {time}"),
    tomorrow: |time, _| format!("tomorrow at {time}"),
    on: |date, time, _| format!("{date} at {time}"),
    customer_named: |name| format!("Customer {name}"),
    the_customer: "The customer",
    asked_for_an_agent: |when| format!("asked for an agent at {when}"),
    left_a_message: |when| format!("left a message at {when}"),
    email: "email",
    phone: "phone",
    channel: "channel",
    language: "language",
    skill: "skill",
    overflowed_from: "overflowed from web store",
    colon: ": ",
    subject_from: |name| format!("Chat message from {name}"),
    subject_anonymous: "Chat message from a customer",
    subject_via: |webstore| format!(" via {webstore}"),
    possible_repeat: "Possible repeat: ",
    repeat_notice: "This may repeat an earlier e-mail about this chat: the mail service did not confirm that one.",
    customer_wrote: "The customer wrote:",
    field_labels: ["name", "email", "phone", "question", "language"],
    webstore_label: "webstore",
    channel_label: "channel",
    chat_label: "chat",
    time_label: "time",
    none: "(none)",
    reply_note: "The customer left this message in the chat when no agent could take it. Reply to this e-mail to answer them: it goes to the address they typed in the chat, which was not verified.",
};

static NL: Words = Words {
    today: |time, _| format!("vandaag om {time}"),
    tomorrow: |time, _| format!("morgen om {time}"),
    on: |date, time, _| format!("{date} om {time}"),
    customer_named: |name| format!("Klant {name}"),
    the_customer: "De klant",
    asked_for_an_agent: |when| format!("vroeg om een medewerker op {when}"),
    left_a_message: |when| format!("liet een bericht achter op {when}"),
    email: "e-mail",
    phone: "telefoon",
    channel: "kanaal",
    language: "taal",
    skill: "vaardigheid",
    overflowed_from: "doorgestuurd van webwinkel",
    colon: ": ",
    subject_from: |name| format!("Chatbericht van {name}"),
    subject_anonymous: "Chatbericht van een klant",
    subject_via: |webstore| format!(" via {webstore}"),
    possible_repeat: "Mogelijk herhaald: ",
    repeat_notice: "Dit kan een eerdere e-mail over deze chat herhalen: de mailservice heeft die niet bevestigd.",
    customer_wrote: "De klant schreef:",
    field_labels: ["naam", "e-mail", "telefoon", "vraag", "taal"],
    webstore_label: "webwinkel",
    channel_label: "kanaal",
    chat_label: "chat",
    time_label: "tijd",
    none: "(geen)",
    reply_note: "De klant liet dit bericht achter in de chat toen geen medewerker de chat kon aannemen. Beantwoord deze e-mail om de klant te antwoorden: het antwoord gaat naar het adres dat de klant in de chat typte, en dat adres is niet gecontroleerd.",
};

static DE: Words = Words {
    today: |time, _| format!("heute um {time} Uhr"),
    tomorrow: |time, _| format!("morgen um {time} Uhr"),
    on: |date, time, _| format!("{date} um {time} Uhr"),
    customer_named: |name| format!("Kunde {name}"),
    the_customer: "Der Kunde",
    asked_for_an_agent: |when| format!("fragte am {when} nach einem Mitarbeiter"),
    left_a_message: |when| format!("hinterließ am {when} eine Nachricht"),
    email: "E-Mail",
    phone: "Telefon",
    channel: "Kanal",
    language: "Sprache",
    skill: "Skill",
    overflowed_from: "umgeleitet von Webshop",
    colon: ": ",
    subject_from: |name| format!("Chatnachricht von {name}"),
    subject_anonymous: "Chatnachricht von einem Kunden",
    subject_via: |webstore| format!(" über {webstore}"),
    possible_repeat: "Möglicherweise doppelt: ",
    repeat_notice: "Dies wiederholt vielleicht eine frühere E-Mail zu diesem Chat: Der Maildienst hat jene nicht bestätigt.",
    customer_wrote: "Der Kunde schrieb:",
    field_labels: ["Name", "E-Mail", "Telefon", "Frage", "Sprache"],
    webstore_label: "Webshop",
    channel_label: "Kanal",
    chat_label: "Chat",
    time_label: "Zeit",
    none: "(keiner)",
    reply_note: "Der Kunde hat diese Nachricht im Chat hinterlassen, als kein Mitarbeiter den Chat annehmen konnte. Antworten Sie auf diese E-Mail, um ihm zu antworten: Die Antwort geht an die Adresse, die er im Chat eingegeben hat; sie wurde nicht überprüft.",
};

static FR: Words = Words {
    today: |time, _| format!("aujourd'hui à {time}"),
    tomorrow: |time, _| format!("demain à {time}"),
    on: |date, time, _| format!("{date} à {time}"),
    customer_named: |name| format!("Client {name}"),
    the_customer: "Le client",
    asked_for_an_agent: |when| format!("a demandé un agent le {when}"),
    left_a_message: |when| format!("a laissé un message le {when}"),
    email: "e-mail",
    phone: "téléphone",
    channel: "canal",
    language: "langue",
    skill: "compétence",
    overflowed_from: "redirigé depuis la boutique",
    colon: " : ",
    subject_from: |name| format!("Message de chat de {name}"),
    subject_anonymous: "Message de chat d'un client",
    subject_via: |webstore| format!(" via {webstore}"),
    possible_repeat: "Doublon possible : ",
    repeat_notice: "Cet e-mail répète peut-être un e-mail précédent sur ce chat : le service de messagerie n'a pas confirmé celui-là.",
    customer_wrote: "Le client a écrit :",
    field_labels: ["nom", "e-mail", "téléphone", "question", "langue"],
    webstore_label: "boutique",
    channel_label: "canal",
    chat_label: "chat",
    time_label: "heure",
    none: "(aucune)",
    reply_note: "Le client a laissé ce message dans le chat quand aucun agent ne pouvait le prendre. Répondez à cet e-mail pour lui répondre : la réponse part à l'adresse qu'il a saisie dans le chat, qui n'a pas été vérifiée.",
};

static ES: Words = Words {
    today: |time, hour| format!("hoy {} {time}", hour.es()),
    tomorrow: |time, hour| format!("mañana {} {time}", hour.es()),
    on: |date, time, hour| format!("{date} {} {time}", hour.es()),
    customer_named: |name| format!("Cliente {name}"),
    the_customer: "El cliente",
    asked_for_an_agent: |when| format!("pidió un agente el {when}"),
    left_a_message: |when| format!("dejó un mensaje el {when}"),
    email: "correo",
    phone: "teléfono",
    channel: "canal",
    language: "idioma",
    skill: "habilidad",
    overflowed_from: "desviado desde la tienda",
    colon: ": ",
    subject_from: |name| format!("Mensaje de chat de {name}"),
    subject_anonymous: "Mensaje de chat de un cliente",
    subject_via: |webstore| format!(" vía {webstore}"),
    possible_repeat: "Posible repetición: ",
    repeat_notice: "Puede que este correo repita uno anterior sobre este chat: el servicio de correo no confirmó aquel.",
    customer_wrote: "El cliente escribió:",
    field_labels: ["nombre", "correo", "teléfono", "pregunta", "idioma"],
    webstore_label: "tienda",
    channel_label: "canal",
    chat_label: "chat",
    time_label: "hora",
    none: "(ninguna)",
    reply_note: "El cliente dejó este mensaje en el chat cuando ningún agente podía atenderlo. Responda a este correo para contestarle: la respuesta va a la dirección que escribió en el chat, que no se ha verificado.",
};

static IT: Words = Words {
    today: |time, hour| format!("oggi {}{time}", hour.it()),
    tomorrow: |time, hour| format!("domani {}{time}", hour.it()),
    on: |date, time, hour| format!("{date} {}{time}", hour.it()),
    customer_named: |name| format!("Cliente {name}"),
    the_customer: "Il cliente",
    asked_for_an_agent: |when| format!("ha chiesto un operatore il {when}"),
    left_a_message: |when| format!("ha lasciato un messaggio il {when}"),
    email: "e-mail",
    phone: "telefono",
    channel: "canale",
    language: "lingua",
    skill: "competenza",
    overflowed_from: "deviato dal negozio",
    colon: ": ",
    subject_from: |name| format!("Messaggio in chat da {name}"),
    subject_anonymous: "Messaggio in chat da un cliente",
    subject_via: |webstore| format!(" via {webstore}"),
    possible_repeat: "Possibile duplicato: ",
    repeat_notice: "Questa e-mail potrebbe ripeterne una precedente su questa chat: il servizio di posta non ha confermato quella.",
    customer_wrote: "Il cliente ha scritto:",
    field_labels: ["nome", "e-mail", "telefono", "domanda", "lingua"],
    webstore_label: "negozio",
    channel_label: "canale",
    chat_label: "chat",
    time_label: "ora",
    none: "(nessuno)",
    reply_note: "Il cliente ha lasciato questo messaggio nella chat quando nessun operatore poteva prenderla. Rispondi a questa e-mail per rispondergli: la risposta va all'indirizzo che ha digitato nella chat, che non è stato verificato.",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::language::tests::at;

    #[test]
    fn spanish_and_italian_read_the_hour_before_its_article() {
        let es = of(Language::Es);
        assert_eq!(es.opens_today("01:30", 1), "hoy a la 01:30");
        assert_eq!(es.opens_today("13:00", 13), "hoy a las 13:00");
        let it = of(Language::It);
        assert_eq!(it.opens_tomorrow("08:00", 8), "domani all'08:00");
        assert_eq!(it.opens_tomorrow("11:15", 11), "domani all'11:15");
        assert_eq!(it.opens_tomorrow("09:00", 9), "domani alle 09:00");
        assert_eq!(it.opens_today("01:00", 1), "oggi all'01:00");
    }

    /// Today, tomorrow and a later day, in every language, each read on the shop's calendar.
    fn wording(language: Language) -> [String; 3] {
        let opens = at("Europe/Amsterdam", 2026, 12, 28, 9, 0);
        [
            // a minute after midnight: today
            at("Europe/Amsterdam", 2026, 12, 28, 0, 1),
            // a minute before midnight: tomorrow
            at("Europe/Amsterdam", 2026, 12, 27, 23, 59),
            at("Europe/Amsterdam", 2026, 12, 26, 10, 0),
        ]
        .map(|now| next_opening_text(language, &opens, &now))
    }

    #[test]
    fn every_language_says_today_tomorrow_or_the_day() {
        let expected = [
            (
                Language::En,
                [
                    "today at 09:00",
                    "tomorrow at 09:00",
                    "Monday 28 December at 09:00",
                ],
            ),
            (
                Language::Nl,
                [
                    "vandaag om 09:00",
                    "morgen om 09:00",
                    "maandag 28 december om 09:00",
                ],
            ),
            (
                Language::De,
                [
                    "heute um 09:00 Uhr",
                    "morgen um 09:00 Uhr",
                    "Montag, 28. Dezember um 09:00 Uhr",
                ],
            ),
            (
                Language::Fr,
                [
                    "aujourd'hui à 09:00",
                    "demain à 09:00",
                    "lundi 28 décembre à 09:00",
                ],
            ),
            (
                Language::Es,
                [
                    "hoy a las 09:00",
                    "mañana a las 09:00",
                    "lunes, 28 de diciembre a las 09:00",
                ],
            ),
            (
                Language::It,
                [
                    "oggi alle 09:00",
                    "domani alle 09:00",
                    "lunedì 28 dicembre alle 09:00",
                ],
            ),
        ];
        for (language, words) in expected {
            assert_eq!(wording(language), words.map(str::to_owned), "{language:?}");
        }
    }

    #[test]
    fn tomorrow_is_the_next_calendar_day_across_a_clock_change() {
        let amsterdam = "Europe/Amsterdam";
        let every = |opens: &ZonedDateTime, now: &ZonedDateTime| -> Vec<String> {
            Language::ALL
                .iter()
                .map(|&l| next_opening_text(l, opens, now))
                .collect()
        };
        // clocks go back on 25 October 2026: 23:30 to 23:00 the next day is 24.5 hours, tomorrow
        let now = at(amsterdam, 2026, 10, 24, 23, 30);
        let opens = at(amsterdam, 2026, 10, 25, 23, 0);
        assert_eq!(
            every(&opens, &now),
            [
                "tomorrow at 23:00",
                "morgen om 23:00",
                "morgen um 23:00 Uhr",
                "demain à 23:00",
                "mañana a las 23:00",
                "domani alle 23:00",
            ]
        );
        // clocks go forward on 28 March 2027: 00:30 to 23:30 the same day is 22 hours, today
        let now = at(amsterdam, 2027, 3, 28, 0, 30);
        let opens = at(amsterdam, 2027, 3, 28, 23, 30);
        assert_eq!(
            every(&opens, &now),
            [
                "today at 23:30",
                "vandaag om 23:30",
                "heute um 23:30 Uhr",
                "aujourd'hui à 23:30",
                "hoy a las 23:30",
                "oggi alle 23:30",
            ]
        );
        // 23:00 on Saturday to 00:30 on Monday is 24.5 hours, but the day after tomorrow
        let now = at(amsterdam, 2027, 3, 27, 23, 0);
        let opens = at(amsterdam, 2027, 3, 29, 0, 30);
        assert_eq!(
            every(&opens, &now),
            [
                "Monday 29 March at 00:30",
                "maandag 29 maart om 00:30",
                "Montag, 29. März um 00:30 Uhr",
                "lundi 29 mars à 00:30",
                "lunes, 29 de marzo a las 00:30",
                "lunedì 29 marzo alle 00:30",
            ]
        );
        // the shop's calendar, not UTC's: 00:10 in Amsterdam is still the day before in UTC
        let now = at(amsterdam, 2027, 3, 29, 0, 10);
        assert_eq!(
            next_opening_text(Language::Es, &opens, &now),
            "hoy a las 00:30"
        );
        let at_one = at(amsterdam, 2027, 3, 30, 1, 0);
        assert_eq!(
            every(&at_one, &now),
            [
                "tomorrow at 01:00",
                "morgen om 01:00",
                "morgen um 01:00 Uhr",
                "demain à 01:00",
                "mañana a la 01:00",
                "domani all'01:00",
            ]
        );
    }
}
