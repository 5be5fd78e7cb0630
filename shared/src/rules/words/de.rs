//! Our sentences in German.

use super::sentences::Words;

pub(super) static DE: Words = Words {
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
