//! Our sentences in French.

use super::sentences::Words;

pub(super) static FR: Words = Words {
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
