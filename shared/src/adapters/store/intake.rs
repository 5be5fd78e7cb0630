//! `intake#<chatId>`: what the customer told the bot, merged field by field, read whole or one
//! attribute at a time, and erased.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::table::{
    EXPIRY_ATTRIBUTE, KEY_ATTRIBUTE, Store, StoreError, is_condition_failure, is_expired, number,
    string,
};
use crate::contract::validate::ChatId;
use crate::contract::{IntakeField, IntakeRecord};
use crate::rules::clock::EpochSeconds;

pub(super) fn intake_key(chat: &ChatId) -> String {
    format!("intake#{}", chat.as_str())
}

pub(super) fn intake_record(item: Option<&HashMap<String, AttributeValue>>) -> IntakeRecord {
    let Some(item) = item else {
        return IntakeRecord::new();
    };
    IntakeField::ALL
        .into_iter()
        .filter_map(|field| string(item, field.as_str()).map(|v| (field, v)))
        .collect()
}

impl Store {
    /// Merges `fields` into the chat's intake record and refreshes its expiry; returns the whole
    /// record as stored. An expired record is replaced, never merged into.
    pub async fn merge_intake(
        &self,
        chat: &ChatId,
        fields: &[(IntakeField, String)],
        now: EpochSeconds,
        expires_at: EpochSeconds,
    ) -> Result<IntakeRecord, StoreError> {
        let key = intake_key(chat);
        let mut names = HashMap::from([("#exp".to_owned(), EXPIRY_ATTRIBUTE.to_owned())]);
        let mut values = HashMap::from([
            (":exp".to_owned(), number(expires_at)),
            (":now".to_owned(), number(now)),
        ]);
        let mut sets = vec!["#exp = :exp".to_owned()];
        for (i, (field, value)) in fields.iter().enumerate() {
            names.insert(format!("#f{i}"), field.as_str().to_owned());
            values.insert(format!(":f{i}"), AttributeValue::S(value.clone()));
            sets.push(format!("#f{i} = :f{i}"));
        }
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(key.clone()))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression("attribute_not_exists(#exp) OR #exp > :now")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match update {
            Ok(output) => Ok(intake_record(output.attributes.as_ref())),
            Err(e) if is_condition_failure(&e) => {
                // An expired record is in the way: replace it whole, unless someone refreshed it
                // in the meantime, in which case merging is right again.
                let mut item: HashMap<String, AttributeValue> = fields
                    .iter()
                    .map(|(f, v)| (f.as_str().to_owned(), AttributeValue::S(v.clone())))
                    .collect();
                item.insert(KEY_ATTRIBUTE.to_owned(), AttributeValue::S(key));
                item.insert(EXPIRY_ATTRIBUTE.to_owned(), number(expires_at));
                let put = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item.clone()))
                    .condition_expression("attribute_not_exists(#exp) OR #exp <= :now")
                    .expression_attribute_names("#exp", EXPIRY_ATTRIBUTE)
                    .expression_attribute_values(":now", number(now))
                    .send()
                    .await;
                match put {
                    Ok(_) => Ok(intake_record(Some(&item))),
                    Err(e) if is_condition_failure(&e) => {
                        Box::pin(self.merge_intake(chat, fields, now, expires_at)).await
                    }
                    Err(e) => Err(StoreError::from_sdk("PutItem", e)),
                }
            }
            Err(e) => Err(StoreError::from_sdk("UpdateItem", e)),
        }
    }

    /// The chat's intake record; `None` when there is none or it has expired.
    pub async fn intake(
        &self,
        chat: &ChatId,
        now: EpochSeconds,
    ) -> Result<Option<IntakeRecord>, StoreError> {
        let item = self.read_intake(chat, now, None).await?;
        Ok(item.map(|item| intake_record(Some(&item))))
    }

    /// The language the customer gave in the chat's intake, and nothing else of it: the read
    /// projects the language and the expiry alone, as availability's role allows (its policy
    /// names these attributes, `dynamodb:Attributes`). `None` when there is none or it expired.
    pub async fn intake_language(
        &self,
        chat: &ChatId,
        now: EpochSeconds,
    ) -> Result<Option<String>, StoreError> {
        let item = self
            .read_intake(chat, now, Some(IntakeField::Language.as_str()))
            .await?;
        Ok(item.and_then(|item| string(&item, IntakeField::Language.as_str())))
    }

    /// The chat's unexpired intake item: whole, or only `attribute` (and the expiry it is judged
    /// by) where one is named.
    async fn read_intake(
        &self,
        chat: &ChatId,
        now: EpochSeconds,
        attribute: Option<&str>,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let mut read = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(intake_key(chat)))
            .consistent_read(true);
        if let Some(attribute) = attribute {
            read = read
                .projection_expression("#wanted, #exp")
                .expression_attribute_names("#wanted", attribute)
                .expression_attribute_names("#exp", EXPIRY_ATTRIBUTE);
        }
        let output = read
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("GetItem", e))?;
        Ok(output.item.filter(|item| !is_expired(item, now)))
    }

    /// Deletes the chat's intake record (its personal data). Deleting nothing is not an error.
    pub async fn erase_intake(&self, chat: &ChatId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(intake_key(chat)))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("DeleteItem", e))?;
        Ok(())
    }
}
