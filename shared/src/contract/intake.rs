//! `POST /intake` and `DELETE /intake/{chatId}`, step 3: the fields a customer gives, the record
//! kept of them, and the answer that says what the dialog does next.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::contract::callout::{CalloutBody, Unfilled};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IntakeRequest {
    pub chat_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub question: Option<String>,
    pub language: Option<String>,
}

impl CalloutBody for IntakeRequest {
    const CUSTOMER_TEXT: &'static [&'static str] =
        &["name", "email", "phone", "question", "language"];
    const DIALOG_FIELDS: &'static [&'static str] = &["chatId"];

    fn clear_unset(&mut self) -> Unfilled {
        let mut unfilled = Unfilled::default();
        unfilled.note_required("chatId", &self.chat_id);
        unfilled.clear("name", &mut self.name);
        unfilled.clear("email", &mut self.email);
        unfilled.clear("phone", &mut self.phone);
        unfilled.clear("question", &mut self.question);
        unfilled.clear("language", &mut self.language);
        unfilled
    }
}

impl IntakeRequest {
    /// The fields this request carries, in contract order.
    pub fn fields(&self) -> Vec<(IntakeField, &str)> {
        IntakeField::ALL
            .into_iter()
            .filter_map(|field| {
                let value = match field {
                    IntakeField::Name => &self.name,
                    IntakeField::Email => &self.email,
                    IntakeField::Phone => &self.phone,
                    IntakeField::Question => &self.question,
                    IntakeField::Language => &self.language,
                };
                value.as_deref().map(|v| (field, v))
            })
            .collect()
    }
}

/// The intake fields stored for a chat (only the ones given so far).
pub type IntakeRecord = BTreeMap<IntakeField, String>;

/// What the customer can tell the bot before the handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntakeField {
    Name,
    Email,
    Phone,
    Question,
    Language,
}

impl IntakeField {
    pub const ALL: [IntakeField; 5] = [
        Self::Name,
        Self::Email,
        Self::Phone,
        Self::Question,
        Self::Language,
    ];

    /// The name on the wire, in the store and in the handover Context.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Question => "question",
            Self::Language => "language",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntakeResponse {
    /// What the dialog branches on, as a string (a Logical Step compares strings).
    pub intake_status: IntakeStatus,
    /// This request's values were written.
    pub stored: bool,
    /// Every required field is stored.
    pub complete: bool,
    /// Required fields not stored yet.
    pub missing: Vec<IntakeField>,
    /// Fields of this request that were refused (nothing of the request is then written).
    pub invalid: Vec<IntakeField>,
    /// Set only when the store could not be reached (`store_unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<IntakeReason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeReason {
    StoreUnavailable,
}

/// An intake answer in one word, for the dialog: `invalid` (a field of the request was refused and
/// nothing of it written: ask again), `incomplete` (a required field is still missing),
/// `complete` (every required field is stored), `store_unavailable` (the table could not be
/// reached). The booleans `stored` and `complete` say the same for systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStatus {
    Invalid,
    Incomplete,
    Complete,
    StoreUnavailable,
}

impl IntakeResponse {
    /// The answer from what the request stored, the required fields still missing, the fields it
    /// refused and the store's trouble; `complete` and `intakeStatus` follow from them.
    pub fn new(
        stored: bool,
        missing: Vec<IntakeField>,
        invalid: Vec<IntakeField>,
        reason: Option<IntakeReason>,
    ) -> Self {
        let complete = reason.is_none() && missing.is_empty();
        let intake_status = if reason.is_some() {
            IntakeStatus::StoreUnavailable
        } else if !invalid.is_empty() {
            IntakeStatus::Invalid
        } else if complete {
            IntakeStatus::Complete
        } else {
            IntakeStatus::Incomplete
        };
        Self {
            intake_status,
            stored,
            complete,
            missing,
            invalid,
            reason,
        }
    }

    /// The metric that counts this answer.
    pub fn metric(&self) -> &'static str {
        if self.reason == Some(IntakeReason::StoreUnavailable) {
            "IntakeStoreUnavailable"
        } else if !self.invalid.is_empty() {
            "IntakeInvalid"
        } else if self.stored {
            "IntakeStored"
        } else {
            "IntakeRead"
        }
    }
}

/// The metric that counts an erasure (`DELETE /intake/{chatId}`).
pub const INTAKE_ERASED: &str = "IntakeErased";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The string a dialog branches on follows from the answer's facts, the store's trouble first.
    #[test]
    fn an_intake_answer_says_in_one_string_what_the_dialog_does_next() {
        use IntakeField::{Email, Name};
        let status = |stored, missing, invalid, reason| {
            let answer = IntakeResponse::new(stored, missing, invalid, reason);
            (answer.intake_status, answer.complete)
        };
        assert_eq!(
            status(true, vec![], vec![], None),
            (IntakeStatus::Complete, true)
        );
        assert_eq!(
            status(false, vec![], vec![], None),
            (IntakeStatus::Complete, true)
        );
        assert_eq!(
            status(true, vec![Email], vec![], None),
            (IntakeStatus::Incomplete, false)
        );
        assert_eq!(
            status(false, vec![], vec![Email], None),
            (IntakeStatus::Invalid, true)
        );
        assert_eq!(
            status(false, vec![Name], vec![Email], None),
            (IntakeStatus::Invalid, false)
        );
        assert_eq!(
            status(
                false,
                vec![],
                vec![Email],
                Some(IntakeReason::StoreUnavailable)
            ),
            (IntakeStatus::StoreUnavailable, false)
        );
        let json = serde_json::to_value(IntakeResponse::new(false, vec![], vec![Email], None))
            .expect("JSON");
        assert_eq!(json["intakeStatus"], "invalid");
    }

    #[test]
    fn intake_request_lists_present_fields_in_order() {
        let req: Result<IntakeRequest, _> = serde_json::from_value(
            json!({"chatId": "c", "email": "e", "name": "n", "phone": null}),
        );
        let fields = req.map(|r| {
            r.fields()
                .into_iter()
                .map(|(f, v)| (f, v.to_owned()))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            fields.ok(),
            Some(vec![
                (IntakeField::Name, "n".to_owned()),
                (IntakeField::Email, "e".to_owned())
            ])
        );
    }
}
