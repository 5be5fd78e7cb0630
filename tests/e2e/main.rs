//! End-to-end tests: real DynamoDB (DynamoDB Local, started by `make test`), a local HTTP server
//! standing in for CM.com (wiremock), and each function through its lambda_http entry point.

mod availability;
mod callout;
mod channels;
mod clock;
mod cm_client;
mod config;
mod faults;
mod handover;
mod intake;
mod languages;
mod late_answer;
mod layers;
mod message;
mod msc_presence;
mod openapi;
mod privacy;
mod ses;
mod store;
mod template;
mod warm;
