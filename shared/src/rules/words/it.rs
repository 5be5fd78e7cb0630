//! Our sentences in Italian.

use super::sentences::Words;

pub(super) static IT: Words = Words {
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
