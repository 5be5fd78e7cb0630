//! **Layer 2: the rules**, no I/O. Plain decisions and texts, testable without AWS: the
//! at-most-once protocol's terms ([`once`]), how an upstream call fails ([`upstream`]), the
//! languages we write in ([`language`]) and our sentences in each ([`words`]), the agent's summary
//! line ([`summary`]), the support mailbox's e-mail ([`mail`]), a value that never prints
//! ([`secret`]) and the clock behind a seam ([`clock`]). Imports only from the contract
//! (`crate::contract`).

pub mod clock;
pub mod language;
pub mod mail;
pub mod once;
pub mod secret;
pub mod summary;
pub mod upstream;
pub mod words;
