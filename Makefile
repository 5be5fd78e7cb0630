.PHONY: test
# Every test: lints, unit tests, end-to-end tests against DynamoDB Local and a local CM.com.
test:
	scripts/test.sh
