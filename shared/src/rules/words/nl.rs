//! Our sentences in Dutch.

use super::sentences::Words;

pub(super) static NL: Words = Words {
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
