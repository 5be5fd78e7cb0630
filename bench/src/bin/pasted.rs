//! The cost of reading a pasted body (`shared::contract::callout::read_pasted`), for `make bench`: the
//! worst 8 KiB body a caller can send (the most keys: 1,018 two-letter pairs) next to a normal
//! 8 KiB one (a long message, as a customer pastes it). Counted in instructions by
//! `scripts/pasted_bench.py` under callgrind: runs of 0 and of `reads` reads, so that the
//! process's start-up cancels out.
//!
//! `pasted <worst|normal> <reads>`.

use shared::contract::callout::read_pasted;

/// At most the body size the functions read (8 KiB).
const BODY_BYTES: usize = 8 * 1024;

fn worst() -> String {
    // distinct two-letter keys with empty values, as many as fit: every pair is `"ab":"",`
    let mut body = String::from("{");
    let letters: Vec<char> = ('a'..='z').chain('A'..='Z').collect();
    'outer: for first in &letters {
        for second in &letters {
            let pair = format!("\"{first}{second}\":\"\",");
            if body.len() + pair.len() + 1 > BODY_BYTES {
                break 'outer;
            }
            body.push_str(&pair);
        }
    }
    body.pop();
    body.push('}');
    body
}

fn normal() -> String {
    // the offline branch's body with a long message whose quote makes it a pasted one
    let head =
        r#"{"chatId": "chat-4f2a9c1e-demo", "webstore": "shop-nl", "message": "Mijn "bestelling" "#;
    let mut body = head.to_owned();
    while body.len() + 16 < BODY_BYTES {
        body.push_str("is nog niet er. ");
    }
    body.push_str("\"}");
    body
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_default();
    let reads: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let body = match kind.as_str() {
        "worst" => worst(),
        "normal" => normal(),
        other => return Err(format!("pasted <worst|normal> <reads>: not `{other}`")),
    };
    let customer_text: &[&str] = &["message"];
    // a read that refuses the body (the worst one has more pairs than any body of ours) costs
    // what it costs: that is what a caller can make us spend
    let mut pairs = 0;
    let mut refused = 0;
    for _ in 0..reads {
        match read_pasted(std::hint::black_box(&body), customer_text) {
            Ok(read) => pairs += read.len(),
            Err(_) => refused += 1,
        }
    }
    println!(
        "{{\"bytes\": {}, \"pairs\": {}, \"refused\": {refused}}}",
        body.len(),
        pairs / reads.max(1) as usize
    );
    Ok(())
}
