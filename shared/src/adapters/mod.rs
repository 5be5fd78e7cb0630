//! **Layer 4: the adapters**, everything that talks to a service: DynamoDB ([`store`]: intake
//! records, claims and their settling, message limits, routes), CM.com ([`cm`]: Routing Control,
//! MSC's presence API, JSON presence sources) and Amazon SES ([`ses`]). Imports from the layers
//! above (contract, rules, setup), never from the HTTP edge.

pub mod cm;
pub mod ses;
pub mod store;
