//! Our sentences in English.

use super::sentences::Words;

pub(super) static EN: Words = Words {
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
