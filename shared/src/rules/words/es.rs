//! Our sentences in Spanish.

use super::sentences::Words;

pub(super) static ES: Words = Words {
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
