//! The DynamoDB store against DynamoDB Local.

use e2e::{fresh_table, items, sdk};
use shared::adapters::store::{HeldClaim, OnceStep, Store};
use shared::contract::IntakeField::{Email, Language, Name};
use shared::contract::IntakeRecord;
use shared::contract::validate::ChatId;
use shared::rules::once::{Claim, ClaimTerms};

const NOW: u64 = 1_795_590_000;

async fn store() -> (Store, aws_config::SdkConfig) {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    (Store::new(aws_sdk_dynamodb::Client::new(&sdk), table), sdk)
}

fn chat(id: &str) -> ChatId {
    ChatId::parse(id).expect("valid chat id")
}

fn record(pairs: &[(shared::contract::IntakeField, &str)]) -> IntakeRecord {
    pairs.iter().map(|(f, v)| (*f, (*v).to_owned())).collect()
}

#[tokio::test]
async fn partial_merges_accumulate_and_overwrite_per_field() {
    let (store, _) = store().await;
    let c = chat("merge-1");
    let first = store
        .merge_intake(&c, &[(Name, "Jan".into())], NOW, NOW + 100)
        .await;
    assert_eq!(first.ok(), Some(record(&[(Name, "Jan")])));
    let second = store
        .merge_intake(&c, &[(Email, "jan@example.nl".into())], NOW + 1, NOW + 101)
        .await;
    assert_eq!(
        second.ok(),
        Some(record(&[(Name, "Jan"), (Email, "jan@example.nl")]))
    );
    let third = store
        .merge_intake(&c, &[(Name, "Jan de Vries".into())], NOW + 2, NOW + 102)
        .await;
    assert_eq!(
        third.ok(),
        Some(record(&[(Name, "Jan de Vries"), (Email, "jan@example.nl")]))
    );
    let read = store.intake(&c, NOW + 3).await;
    assert_eq!(
        read.ok(),
        Some(Some(record(&[
            (Name, "Jan de Vries"),
            (Email, "jan@example.nl")
        ])))
    );
    // another chat is untouched
    assert_eq!(store.intake(&chat("merge-2"), NOW).await.ok(), Some(None));
}

#[tokio::test]
async fn every_write_sets_the_ttl_attribute() {
    let (store, sdk) = store().await;
    let c = chat("ttl-1");
    store
        .merge_intake(&c, &[(Name, "Jan".into())], NOW, NOW + 86_400)
        .await
        .expect("merge");
    store
        .merge_intake(&c, &[(Language, "nl".into())], NOW + 60, NOW + 60 + 86_400)
        .await
        .expect("merge");
    let all = items(&sdk, store.table()).await;
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0]["pk"].as_s().ok().map(String::as_str),
        Some("intake#ttl-1")
    );
    assert_eq!(
        all[0]["expiresAt"].as_n().ok().map(String::as_str),
        Some("1795676460")
    );
}

#[tokio::test]
async fn an_expired_record_reads_as_absent_and_is_never_merged_into() {
    let (store, sdk) = store().await;
    let c = chat("expired-1");
    store
        .merge_intake(
            &c,
            &[(Name, "Old Name".into()), (Email, "old@example.nl".into())],
            NOW,
            NOW + 10,
        )
        .await
        .expect("merge");
    assert_eq!(
        store.intake(&c, NOW + 9).await.ok(),
        Some(Some(record(&[
            (Name, "Old Name"),
            (Email, "old@example.nl")
        ])))
    );
    // expired but not yet deleted (no emulator deletes; DynamoDB takes up to days)
    assert_eq!(store.intake(&c, NOW + 10).await.ok(), Some(None));
    assert_eq!(items(&sdk, store.table()).await.len(), 1);
    // a write after expiry starts a new record: the old e-mail does not come back
    let fresh = store
        .merge_intake(&c, &[(Name, "New Name".into())], NOW + 20, NOW + 120)
        .await;
    assert_eq!(fresh.ok(), Some(record(&[(Name, "New Name")])));
    assert_eq!(
        store.intake(&c, NOW + 21).await.ok(),
        Some(Some(record(&[(Name, "New Name")])))
    );
}

#[tokio::test]
async fn erasure_removes_the_record_and_is_idempotent() {
    let (store, sdk) = store().await;
    let c = chat("erase-1");
    store
        .merge_intake(&c, &[(Name, "Jan".into())], NOW, NOW + 100)
        .await
        .expect("merge");
    assert!(store.erase_intake(&c).await.is_ok());
    assert_eq!(store.intake(&c, NOW).await.ok(), Some(None));
    assert!(items(&sdk, store.table()).await.is_empty());
    assert!(store.erase_intake(&c).await.is_ok());
    assert!(store.erase_intake(&chat("never-existed")).await.is_ok());
}

fn held<'a>(step: OnceStep, chat: &'a ChatId, claim_id: &'a str) -> HeldClaim<'a> {
    HeldClaim {
        step,
        chat,
        claim_id,
    }
}

fn terms(now: u64) -> ClaimTerms {
    ClaimTerms {
        now,
        lease_until: now + 7,
        dedup_until: now + 900,
    }
}

#[tokio::test]
async fn the_claim_admits_one_holder_then_replays_success_until_the_window_ends() {
    let (store, sdk) = store().await;
    let c = chat("claim-1");
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "a", terms(NOW))
            .await
            .ok(),
        Some(Claim::Claimed)
    );
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "b", terms(NOW + 1))
            .await
            .ok(),
        Some(Claim::InProgress)
    );
    store
        .record_done(&held(OnceStep::Handover, &c, "a"), NOW + 2, NOW + 902)
        .await
        .expect("record");
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "c", terms(NOW + 3))
            .await
            .ok(),
        Some(Claim::AlreadyDone)
    );
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "d", terms(NOW + 901))
            .await
            .ok(),
        Some(Claim::AlreadyDone)
    );
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "e", terms(NOW + 902))
            .await
            .ok(),
        Some(Claim::Claimed)
    );
    // the record holds no personal data: key, status, claim and times only
    let all = items(&sdk, store.table()).await;
    let mut names: Vec<&str> = all[0].keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "attempt",
            "claimId",
            "expiresAt",
            "handoverStatus",
            "leaseExpiresAt",
            "pk"
        ]
    );
}

#[tokio::test]
async fn a_released_claim_can_be_taken_again_but_only_its_holder_releases_it() {
    let (store, _) = store().await;
    let c = chat("claim-2");
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "a", terms(NOW))
            .await
            .ok(),
        Some(Claim::Claimed)
    );
    assert!(store.release(OnceStep::Handover, &c, "not-a").await.is_ok());
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "b", terms(NOW))
            .await
            .ok(),
        Some(Claim::InProgress)
    );
    assert!(store.release(OnceStep::Handover, &c, "a").await.is_ok());
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "b", terms(NOW))
            .await
            .ok(),
        Some(Claim::Claimed)
    );
}

#[tokio::test]
async fn a_lease_left_by_a_crashed_holder_is_taken_over_after_it_ends() {
    let (store, _) = store().await;
    let c = chat("claim-3");
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "crashed", terms(NOW))
            .await
            .ok(),
        Some(Claim::Claimed)
    );
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "b", terms(NOW + 6))
            .await
            .ok(),
        Some(Claim::InProgress)
    );
    // taken over as a second attempt: the crashed one's call may have been made
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "b", terms(NOW + 7))
            .await
            .ok(),
        Some(Claim::ClaimedAgain)
    );
    // the crashed holder can no longer record success or release the new holder's claim
    assert!(
        store
            .record_done(&held(OnceStep::Handover, &c, "crashed"), NOW + 8, NOW + 908)
            .await
            .is_err()
    );
    assert!(
        store
            .release(OnceStep::Handover, &c, "crashed")
            .await
            .is_ok()
    );
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "c", terms(NOW + 8))
            .await
            .ok(),
        Some(Claim::InProgress)
    );
}

#[tokio::test]
async fn an_unreachable_table_is_an_error_not_an_answer() {
    let (store, sdk) = store().await;
    let missing = Store::new(aws_sdk_dynamodb::Client::new(&sdk), "no-such-table");
    let c = chat("x");
    assert!(missing.intake(&c, NOW).await.is_err());
    assert!(
        missing
            .merge_intake(&c, &[(Name, "Jan".into())], NOW, NOW + 1)
            .await
            .is_err()
    );
    assert!(
        missing
            .claim(OnceStep::Handover, &c, "a", terms(NOW))
            .await
            .is_err()
    );
    drop(store);
}

#[test]
fn the_templates_table_is_the_one_the_store_expects() {
    assert_eq!(
        e2e::table_definition(),
        e2e::TableDefinition {
            attributes: vec![(shared::adapters::store::KEY_ATTRIBUTE.into(), "S".into())],
            keys: vec![(shared::adapters::store::KEY_ATTRIBUTE.into(), "HASH".into())],
            ttl_attribute: Some(shared::adapters::store::EXPIRY_ATTRIBUTE.into()),
        }
    );
}

#[tokio::test]
async fn a_chats_message_and_handover_are_claimed_apart_and_the_message_record_holds_no_text() {
    let (store, sdk) = store().await;
    let c = chat("claim-message-1");
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "h", terms(NOW))
            .await
            .ok(),
        Some(Claim::Claimed)
    );
    // a handover under way (or failed and kept) does not stop the message, nor the reverse
    assert_eq!(
        store
            .claim(OnceStep::Message, &c, "m", terms(NOW))
            .await
            .ok(),
        Some(Claim::Claimed)
    );
    assert!(store.release(OnceStep::Message, &c, "m").await.is_ok());
    assert_eq!(
        store
            .claim(OnceStep::Message, &c, "m2", terms(NOW + 1))
            .await
            .ok(),
        Some(Claim::Claimed)
    );
    assert_eq!(
        store
            .claim(OnceStep::Message, &c, "m3", terms(NOW + 1))
            .await
            .ok(),
        Some(Claim::InProgress)
    );
    store
        .record_done(&held(OnceStep::Message, &c, "m2"), NOW + 2, NOW + 902)
        .await
        .expect("record");
    assert_eq!(
        store
            .claim(OnceStep::Message, &c, "m4", terms(NOW + 3))
            .await
            .ok(),
        Some(Claim::AlreadyDone)
    );
    assert_eq!(
        store
            .claim(OnceStep::Handover, &c, "h2", terms(NOW + 3))
            .await
            .ok(),
        Some(Claim::InProgress)
    );
    // the sent record: key, status, claim and times, nothing the customer wrote
    let all = items(&sdk, store.table()).await;
    assert_eq!(all.len(), 2);
    let message = all
        .iter()
        .find(|item| {
            item.get("pk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("message#claim-message-1")
        })
        .expect("the message's claim item");
    let mut names: Vec<&str> = message.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "attempt",
            "claimId",
            "expiresAt",
            "messageStatus",
            "pk",
            "sentAt"
        ]
    );
    assert_eq!(
        message
            .get("messageStatus")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("success")
    );
}

/// What claiming `step` for `chat` as `claim_id` at `now` finds (`None`: a store error).
async fn claim(
    store: &Store,
    step: OnceStep,
    chat: &ChatId,
    claim_id: &str,
    now: u64,
) -> Option<Claim> {
    store.claim(step, chat, claim_id, terms(now)).await.ok()
}

#[tokio::test]
async fn a_claim_write_that_finds_its_own_claim_holds_it() {
    // what the SDK's retry finds when the first write took effect and its answer came late
    let (store, _) = store().await;
    let c = chat("claim-own-1");
    for step in [OnceStep::Handover, OnceStep::Message] {
        for _ in 0..2 {
            assert_eq!(
                claim(&store, step, &c, "mine", NOW).await,
                Some(Claim::Claimed),
                "{step:?}"
            );
        }
        assert_eq!(
            claim(&store, step, &c, "theirs", NOW).await,
            Some(Claim::InProgress),
            "{step:?}"
        );
    }
}

#[tokio::test]
async fn the_recorded_success_erases_the_intake_in_the_same_transaction() {
    let (store, _) = store().await;
    let c = chat("claim-erase-1");
    store
        .merge_intake(&c, &[(Name, "Jan".into())], NOW, NOW + 3600)
        .await
        .expect("merge");
    assert_eq!(
        claim(&store, OnceStep::Message, &c, "m", NOW).await,
        Some(Claim::Claimed)
    );
    // someone else's record is refused, and then nothing is erased either
    assert!(
        store
            .record_done(&held(OnceStep::Message, &c, "not-m"), NOW + 1, NOW + 901)
            .await
            .is_err()
    );
    assert!(store.intake(&c, NOW + 1).await.expect("read").is_some());
    store
        .record_done(&held(OnceStep::Message, &c, "m"), NOW + 1, NOW + 901)
        .await
        .expect("record");
    assert_eq!(store.intake(&c, NOW + 1).await.expect("read"), None);
    // a retry of the same transaction does it again to the same end
    store
        .record_done(&held(OnceStep::Message, &c, "m"), NOW + 1, NOW + 901)
        .await
        .expect("record again");
    assert_eq!(
        claim(&store, OnceStep::Message, &c, "n", NOW + 2).await,
        Some(Claim::AlreadyDone)
    );
}

#[tokio::test]
async fn an_unconfirmed_message_may_be_tried_once_more_at_once_and_never_a_third_time() {
    let (store, _) = store().await;
    let c = chat("claim-unconfirmed-1");
    assert_eq!(
        claim(&store, OnceStep::Message, &c, "first", NOW).await,
        Some(Claim::Claimed)
    );
    store
        .unconfirm(&held(OnceStep::Message, &c, "first"), NOW + 900)
        .await
        .expect("unconfirm");
    assert_eq!(
        claim(&store, OnceStep::Message, &c, "second", NOW + 1).await,
        Some(Claim::ClaimedAgain)
    );
    // while the second attempt runs, a duplicate waits
    assert_eq!(
        claim(&store, OnceStep::Message, &c, "dup", NOW + 1).await,
        Some(Claim::InProgress)
    );
    // its own retried write is still its own
    assert_eq!(
        claim(&store, OnceStep::Message, &c, "second", NOW + 1).await,
        Some(Claim::ClaimedAgain)
    );
    store
        .unconfirm(&held(OnceStep::Message, &c, "second"), NOW + 900)
        .await
        .expect("unconfirm");
    assert_eq!(
        claim(&store, OnceStep::Message, &c, "third", NOW + 2).await,
        Some(Claim::OutOfAttempts)
    );
    // a refused second attempt is released without forgetting the first
    let d = chat("claim-unconfirmed-2");
    store
        .claim(OnceStep::Message, &d, "first", terms(NOW))
        .await
        .expect("claim");
    store
        .unconfirm(&held(OnceStep::Message, &d, "first"), NOW + 900)
        .await
        .expect("unconfirm");
    assert_eq!(
        claim(&store, OnceStep::Message, &d, "second", NOW + 1).await,
        Some(Claim::ClaimedAgain)
    );
    store
        .release(OnceStep::Message, &d, "second")
        .await
        .expect("release");
    assert_eq!(
        claim(&store, OnceStep::Message, &d, "third", NOW + 2).await,
        Some(Claim::OutOfAttempts)
    );
    // after the window (the first claim's), the chat starts afresh
    assert_eq!(
        claim(&store, OnceStep::Message, &d, "later", NOW + 901).await,
        Some(Claim::Claimed)
    );
}

#[tokio::test]
async fn a_handover_whose_lease_lapsed_is_taken_over_however_often() {
    let (store, _) = store().await;
    let c = chat("claim-lapsed-1");
    store
        .claim(OnceStep::Handover, &c, "a", terms(NOW))
        .await
        .expect("claim");
    for (i, id) in ["b", "c", "d"].into_iter().enumerate() {
        let now = NOW + 7 * (i as u64 + 1);
        assert_eq!(
            claim(&store, OnceStep::Handover, &c, id, now).await,
            Some(Claim::ClaimedAgain),
            "{id}"
        );
    }
}

#[tokio::test]
async fn a_chats_intake_and_route_are_read_together_and_a_later_route_replaces_an_earlier() {
    use shared::adapters::store::Route;
    let (store, _) = store().await;
    let c = chat("route-1");
    let read = |now| {
        let store = store.clone();
        let c = c.clone();
        async move {
            store
                .intake_and_route(&c, now)
                .await
                .map_err(|e| e.to_string())
        }
    };
    assert_eq!(read(NOW).await, Ok((None, None)));
    let overflowed = Route {
        requested: "shop-nl".to_owned(),
        decided: "shop-be".to_owned(),
    };
    store
        .record_route(&c, &overflowed, NOW + 100)
        .await
        .expect("recorded");
    assert_eq!(read(NOW).await, Ok((None, Some(overflowed.clone()))));
    assert_eq!(overflowed.overflowed_from(), Some("shop-nl"));
    store
        .merge_intake(&c, &[(Name, "Jan".into())], NOW, NOW + 50)
        .await
        .expect("stored");
    let stayed = Route {
        requested: "shop-nl".to_owned(),
        decided: "shop-nl".to_owned(),
    };
    store
        .record_route(&c, &stayed, NOW + 100)
        .await
        .expect("recorded");
    assert_eq!(stayed.overflowed_from(), None);
    assert_eq!(
        read(NOW).await,
        Ok((Some(record(&[(Name, "Jan")])), Some(stayed)))
    );
    // each expires on its own: past the intake's expiry, the route alone; past both, nothing
    assert_eq!(
        read(NOW + 50).await.map(|(i, r)| (i, r.is_some())),
        Ok((None, true))
    );
    assert_eq!(read(NOW + 100).await, Ok((None, None)));
}
