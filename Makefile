.PHONY: run test check mutants fuzz bench sam-local smoke
# The local stack: DynamoDB Local, a CM.com stand-in, a local SES server, the four functions under cargo lambda watch.
run:
	scripts/run.sh

# Every test: lints, unit tests, end-to-end tests against DynamoDB Local and a local CM.com.
test:
	scripts/test.sh

# The inner loop: fmt, clippy, the unit and end-to-end tests against DynamoDB Local (a warm tree: about 1.5 minutes).
check:
	scripts/check.sh

# Mutation testing of the plain rules (cargo-mutants; about an hour): prints each missed mutant and the score.
mutants:
	scripts/mutants.sh

# Fuzz the request parsers and validators (cargo-fuzz, nightly): 60 s per target, or FUZZ_SECONDS=n.
fuzz:
	scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

# Size, cold start, warm latency and memory next to a floor function: writes bench/results/.
bench:
	scripts/bench.sh

# The template under sam local: sam build, the local stack, and sam local start-api on
# 127.0.0.1:3000 until Ctrl-C (needs Docker; starts its own engine where it can).
sam-local:
	scripts/sam-local.sh serve

# The smoke test of a deployment (docs/deploy.md): CALLOUT_TOKEN=<token> make smoke ARGS="--stack <name>"
smoke:
	scripts/smoke.sh $(ARGS)
