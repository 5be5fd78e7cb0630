#!/usr/bin/env python3
"""The functions' permissions, as IAM evaluates them, offline.

`template.yaml` goes through SAM's own translator (aws-sam-translator, as `sam deploy` uses
it), its intrinsics are resolved for fixed test values of each supported parameter set, and
requests are evaluated against each function's role by an offline evaluator of AWS's policy
language (@cloud-copilot/iam-simulate, through scripts/iam/simulate.mjs):

1. every AWS request the end-to-end tests recorded a function sending (tests/src/recorded.rs)
   must be allowed under that function's role, in every parameter set where the function
   exists: a new call, key prefix or projection without its permission fails here;
2. and nothing more: each role against every table action and key prefix (allowed exactly
   where TABLE_ACCESS says), SSM parameters (its own only, one at a time), SES (the message
   function, from the configured sender only) and the KMS key (only through DynamoDB and
   Lambda).

Usage: check.py FOLDER (the recorded requests, *.jsonl). Before it checks them, it checks
itself: planted calls without their permission and a planted wider prefix must be caught.
Exit 1 on any finding.
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import logging
from functools import lru_cache
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# the translator takes the region of its pseudo parameters from boto's environment
os.environ["AWS_DEFAULT_REGION"] = "eu-west-1"

# the translator's own metrics ("unpublished metrics") are not ours to report
logging.getLogger("samtranslator").setLevel(logging.ERROR)

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR = Path(__file__).with_name("simulate.mjs")
REGION = os.environ["AWS_DEFAULT_REGION"]
ACCOUNT = "123456789012"
STACK = "cm-handover"
TABLE = f"{STACK}-HandoverTable-TEST"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ATTRIBUTE = "pk"

# the four functions, by the name their requests carry (`app/<name>`, shared::setup::aws::for_function)
FUNCTIONS = {
    "availability": "AvailabilityFunction",
    "intake": "IntakeFunction",
    "handover": "HandoverFunction",
    "message": "MessageFunction",
}

# the parameters without a default, as a deployment gives them
REQUIRED = {
    "TechnicalLinkId": "3f7e1a2b-link",
    "RoutingMutations": '[{"$type":"ruleMutation","action":"Enable","operator":"And","targetAdapterId":"msc-adapter"}]',
    "ProductTokenParameter": "/cm-handover/product-token",
    "CalloutTokensParameter": "/cm-handover/callout-tokens",
}

# every supported shape of a deployment: each presence source, the mailbox and the key on and off
PARAMETER_SETS = {
    "MSC presence, mailbox, KMS key, every option": {
        "PresenceSource": "msc",
        "MscApiKeyParameter": "/cm-handover/msc-api-key",
        "PresenceCheckTokensParameter": "/cm-handover/presence-check-tokens",
        "BusinessHoursParameter": "/cm-handover/business-hours",
        "ChatLogKeyParameter": "/cm-handover/chat-log-key",
        "MessageFromIdentity": "shop.example",
        "MessageFrom": "chat@shop.example",
        "MessageFromName": "Shop chat",
        "MessageTo": "support@shop.example",
        "MessageToByWebstoreParameter": "/cm-handover/mailboxes",
        "KmsKeyArn": KEY_ARN,
        "MscChannels": "WebChat,WhatsApp=WhatsApp",
        "RoutingMutationsByChannel": '{"WhatsApp":[{"$type":"ruleMutation","action":"Enable","operator":"And","sourceAdapterId":"whatsapp"}]}',
    },
    "JSON presence with its token, mailbox without a map": {
        "PresenceSource": "json",
        "JsonPresenceUrl": "https://presence.shop.example/online",
        "AvailabilityTokenParameter": "/cm-handover/availability-token",
        "MessageFromIdentity": "chat@shop.example",
        "MessageFrom": "chat@shop.example",
        "MessageTo": "support@shop.example",
    },
    "no presence check, no mailbox, no key (the defaults)": {"PresenceSource": "none"},
}

# What each role may do on the table: (action, key prefix). Everything else is denied.
# Availability reads an intake's language alone (AVAILABILITY_INTAKE_ATTRIBUTES).
TABLE_ACCESS = {
    "availability": {("PutItem", "route#"), ("GetItem", "intake#")},
    "intake": {
        ("GetItem", "intake#"),
        ("UpdateItem", "intake#"),
        ("PutItem", "intake#"),
        ("DeleteItem", "intake#"),
        ("GetItem", "warm-up"),
    },
    "handover": {
        ("PutItem", "handover#"),
        ("UpdateItem", "handover#"),
        ("DeleteItem", "handover#"),
        ("DeleteItem", "intake#"),
        ("BatchGetItem", "intake#"),
        ("BatchGetItem", "route#"),
        ("GetItem", "warm-up"),
    },
    "message": {
        ("PutItem", "message#"),
        ("UpdateItem", "message#"),
        ("DeleteItem", "message#"),
        ("GetItem", "intake#"),
        ("DeleteItem", "intake#"),
        ("UpdateItem", "limit#"),
        ("GetItem", "warm-up"),
    },
}
AVAILABILITY_INTAKE_ATTRIBUTES = ["language", "expiresAt"]
TABLE_ACTIONS = [
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem",
    "ConditionCheckItem", "Query", "Scan", "DescribeTable", "UpdateTable", "DeleteTable",
    "PartiQLSelect", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete",
]
READS = {"GetItem", "BatchGetItem", "Query", "Scan", "PartiQLSelect"}
KEY_PREFIXES = ["intake#", "handover#", "message#", "limit#", "route#", "warm-up", "other#"]
# the services that use the key for the functions: the table's items and their environment
KEY_USERS = [f"dynamodb.{REGION}.amazonaws.com", f"lambda.{REGION}.amazonaws.com"]

# The AWS managed policies SAM attaches (logging, tracing): their actions, from AWS's managed
# policy reference. Neither names a DynamoDB, SSM, SES or KMS action.
MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
        "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries",
    ],
}
# a key policy as AWS creates it by default: the account's IAM policies decide
DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }],
}

NO_VALUE = object()


class Unresolvable(Exception):
    pass


class ManagedPolicies:
    """SAM asks for the ARNs of managed policies named without one; ours name none."""

    def load(self):
        return {}


class Stack:
    """The translated template with its intrinsics resolved for one set of parameter values."""

    def __init__(self, template_text, parameters, translated=None):
        template = copy.deepcopy(parsed(template_text))
        declared = template.get("Parameters", {})
        values = {name: spec["Default"] for name, spec in declared.items() if "Default" in spec}
        values.update(REQUIRED)
        values.update(parameters)
        unknown = set(parameters) - set(declared)
        if unknown:
            raise Unresolvable(f"no such template parameters: {sorted(unknown)}")
        self.parameters = {k: str(v) for k, v in values.items()}
        self.parameters.update({
            "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
            "AWS::StackName": STACK, "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/test",
        })
        if translated is None:
            # as `sam deploy` hands it to the translator: the code uploaded by `sam package`
            template.get("Globals", {}).get("Function", {})["CodeUri"] = "s3://artifacts/code.zip"
            for resource in template["Resources"].values():
                if "CodeUri" in resource.get("Properties", {}):
                    resource["Properties"]["CodeUri"] = "s3://artifacts/code.zip"
            translated = transform(template, dict(self.parameters), ManagedPolicies())
        self.cfn = translated
        self.template_text = template_text
        self.resources = self.cfn["Resources"]
        self._conditions = {}

    def with_parameters(self, changes):
        """The same translation resolved with some parameter values changed (the translator
        keeps the policies' and environments' intrinsics for CloudFormation to resolve)."""
        base = {k: v for k, v in self.parameters.items() if not k.startswith("AWS::")}
        return Stack(self.template_text, {**base, **changes}, self.cfn)

    def condition(self, name):
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self.cfn["Conditions"][name]))
        return self._conditions[name]

    def exists(self, logical):
        resource = self.resources.get(logical)
        return resource is not None and (
            "Condition" not in resource or self.condition(resource["Condition"])
        )

    def physical(self, logical):
        kind = self.resources[logical]["Type"]
        if kind == "AWS::DynamoDB::Table":
            return TABLE
        return f"{STACK}-{logical}-TEST"

    def attribute(self, logical, attribute):
        kind = self.resources[logical]["Type"]
        if attribute == "Arn" and kind == "AWS::DynamoDB::Table":
            return TABLE_ARN
        if attribute == "Arn" and kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{self.physical(logical)}"
        return f"{logical}.{attribute}"

    def resolve(self, node):
        if isinstance(node, list):
            return [v for v in (self.resolve(x) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                if value == "AWS::NoValue":
                    return NO_VALUE
                if value in self.parameters:
                    return self.parameters[value]
                if value in self.resources:
                    return self.physical(value)
                raise Unresolvable(f"Ref {value}")
            if key == "Fn::GetAtt":
                logical, attribute = value.split(".", 1) if isinstance(value, str) else value
                return self.attribute(logical, attribute)
            if key == "Fn::Sub":
                text, names = (value, {}) if isinstance(value, str) else value
                names = {k: self.resolve(v) for k, v in names.items()}
                return self._substitute(text, names)
            if key == "Fn::If":
                name, yes, no = value
                return self.resolve(yes if self.condition(name) else no)
            if key == "Condition":
                return self.condition(value)
            if key == "Fn::Equals":
                left, right = (self.resolve(v) for v in value)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(value[0])
            if key == "Fn::And":
                return all(self.resolve(v) for v in value)
            if key == "Fn::Or":
                return any(self.resolve(v) for v in value)
            if key == "Fn::Join":
                separator, parts = value
                return separator.join(str(p) for p in self.resolve(parts))
            if key == "Fn::Select":
                index, items = value
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = value
                return str(self.resolve(text)).split(separator)
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in node.items()) if v is not NO_VALUE}

    def _substitute(self, text, names):
        out, rest = [], text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            out.append(before)
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in names:
                out.append(str(names[name]))
            elif "." in name:
                out.append(str(self.attribute(*name.split(".", 1))))
            else:
                out.append(str(self.resolve({"Ref": name})))
        out.append(rest)
        return "".join(out)

    def function(self, name):
        """The function's resolved environment and its role's policies, or None where the
        parameter set leaves the function out."""
        logical = FUNCTIONS[name]
        if not self.exists(logical):
            return None
        properties = self.resolve(self.resources[logical]["Properties"])
        role_arn = properties["Role"]
        role = next(
            r for r in self.resources
            if self.resources[r]["Type"] == "AWS::IAM::Role" and self.attribute(r, "Arn") == role_arn
        )
        role_properties = self.resolve(self.resources[role]["Properties"])
        policies = [
            {"name": p["PolicyName"], "policy": p["PolicyDocument"]}
            for p in role_properties.get("Policies", [])
        ]
        for arn in role_properties.get("ManagedPolicyArns", []):
            if arn not in MANAGED_POLICIES:
                raise Unresolvable(f"{name}: the managed policy {arn} is not known to this check")
            policies.append({"name": arn.rsplit("/", 1)[1], "policy": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": MANAGED_POLICIES[arn], "Resource": "*"}],
            }})
        physical_role = self.physical(role)
        for logical_policy, resource in self.resources.items():
            if resource["Type"] != "AWS::IAM::Policy" or not self.exists(logical_policy):
                continue
            attached = self.resolve(resource["Properties"])
            if physical_role in attached.get("Roles", []):
                policies.append({"name": attached["PolicyName"], "policy": attached["PolicyDocument"]})
        for policy in policies:
            if policy["policy"].get("Version") != "2012-10-17":
                raise Unresolvable(f"{name}: policy {policy['name']} does not state Version 2012-10-17")
        return {
            "environment": properties.get("Environment", {}).get("Variables", {}),
            "policies": policies,
        }


def ssm_arn(name):
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name if name.startswith('/') else '/' + name}"


def simulate(cases):
    """Each case's decision: Allowed, ImplicitlyDenied, ExplicitlyDenied or Error."""
    if not cases:
        return []
    result = subprocess.run(
        ["node", str(SIMULATOR)], input=json.dumps(cases), capture_output=True, text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"iam: the evaluator failed:\n{result.stderr}")
    return json.loads(result.stdout)


# ---- the recorded requests -------------------------------------------------------------------

def projected(names, expression):
    if not expression:
        return None
    return sorted({names.get(part.strip(), part.strip()).split(".")[0].split("[")[0]
                   for part in expression.split(",")})


def read_context(body):
    attributes = projected(body.get("ExpressionAttributeNames", {}), body.get("ProjectionExpression"))
    if attributes is None:
        # no projection: the whole item, as DynamoDB's Select defaults to ALL_ATTRIBUTES
        return {"dynamodb:Select": "ALL_ATTRIBUTES"}
    return {"dynamodb:Select": "SPECIFIC_ATTRIBUTES", "dynamodb:Attributes": attributes}


def leading_key(key):
    value = key.get(KEY_ATTRIBUTE, {})
    return value.get("S", json.dumps(value))


def table_requests(operation, body):
    """The IAM requests one DynamoDB call makes: (action, context). A transaction is evaluated
    item by item as its Put, Update, Delete or ConditionCheck, as DynamoDB authorizes it."""
    if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        key = body.get("Key") or body.get("Item") or {}
        context = {"dynamodb:LeadingKeys": [leading_key(key)]}
        if operation == "GetItem":
            context.update(read_context(body))
        if body.get("ReturnValues"):
            context["dynamodb:ReturnValues"] = body["ReturnValues"]
        return [(operation, context)]
    if operation == "BatchGetItem":
        out = []
        for wanted in body.get("RequestItems", {}).values():
            context = {"dynamodb:LeadingKeys": [leading_key(k) for k in wanted.get("Keys", [])]}
            context.update(read_context(wanted))
            out.append(("BatchGetItem", context))
        return out
    if operation == "TransactWriteItems":
        actions = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                   "ConditionCheck": "ConditionCheckItem"}
        out = []
        for item in body.get("TransactItems", []):
            (kind, inner), = item.items()
            key = inner.get("Key") or inner.get("Item") or {}
            out.append((actions[kind], {"dynamodb:LeadingKeys": [leading_key(key)]}))
        return out
    return [(operation, {})]


def sender(address):
    address = address.strip()
    if "<" in address:
        address = address.rsplit("<", 1)[1].rstrip(">").strip()
    return address


def read_recorded(folder):
    """The distinct requests of the four functions: {(function, kind, details...): example}."""
    requests = {}
    for path in sorted(Path(folder).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            function = entry.get("function")
            if function is None:
                continue  # a test's own set-up or check, not a function's
            if function not in FUNCTIONS:
                raise SystemExit(f"iam: a request from an unknown function {function!r} ({path})")
            target = entry.get("target") or ""
            body = entry.get("body") or {}
            if target.startswith("DynamoDB_20120810."):
                for action, context in table_requests(target.split(".", 1)[1], body):
                    shape = json.dumps(context, sort_keys=True)
                    requests.setdefault((function, "table", action, shape), entry)
            elif target.startswith("AmazonSSM."):
                action = target.split(".", 1)[1]
                names = [body["Name"]] if "Name" in body else body.get("Names", [body.get("Path", "")])
                for name in names:
                    requests.setdefault((function, "ssm", action, name), entry)
            elif entry.get("path", "").startswith("/v2/email/outbound-emails"):
                requests.setdefault((function, "ses", "SendEmail", sender(body.get("FromEmailAddress", ""))), entry)
            else:
                requests.setdefault((function, "other", target or entry.get("path"), ""), entry)
    return requests


def recorded_cases(template_text, requests):
    """The recorded requests as cases, each under every parameter set where its function exists
    (an SSM name or an SES sender under the set whose parameter names it)."""
    cases = []
    ssm_parameters = [p for p in parsed(template_text)["Parameters"] if p.endswith("Parameter")]
    for set_name, parameters in PARAMETER_SETS.items():
        stack = stack_for(template_text, parameters)
        for (function, kind, action, detail), entry in sorted(requests.items(), key=str):
            role = stack.function(function)
            if role is None:
                continue
            where = f"{function} {action} {detail} [{set_name}]"
            if kind == "table":
                where = f"{function} {action} (recorded) [{set_name}]"
                cases.append((where, role["policies"], None, f"dynamodb:{action}", TABLE_ARN,
                              json.loads(detail), True))
            elif kind == "ssm":
                # the name comes from one of the function's *_PARAM variables: some template
                # parameter that fills one must be able to name it, and the role then reads it
                options = []
                for parameter in ssm_parameters:
                    if not parameters.get(parameter) and parameter not in REQUIRED:
                        continue
                    variant = stack_for(template_text, parameters, {parameter: detail})
                    variant_role = variant.function(function)
                    names = {v for k, v in variant_role["environment"].items() if k.endswith("_PARAM")}
                    if detail in names:
                        options.append((parameter, variant_role))
                if not options:
                    cases.append((where + ": no *_PARAM variable of this function can name it",
                                  [], None, f"ssm:{action}", ssm_arn(detail), {}, True))
                for parameter, variant_role in options[:1]:
                    cases.append((f"{where} (as {parameter})", variant_role["policies"], None,
                                  f"ssm:{action}", ssm_arn(detail), {}, True))
            elif kind == "ses":
                if not stack.condition("HasMailbox"):
                    continue
                domain = detail.rsplit("@", 1)[-1]
                variant = stack_for(template_text, parameters,
                                    {"MessageFrom": detail, "MessageFromIdentity": domain})
                cases.append((where, variant.function(function)["policies"], None, "ses:SendEmail",
                              f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}",
                              {"ses:FromAddress": detail}, True))
            else:
                cases.append((where + ": a call this check does not know", [], None, action,
                              TABLE_ARN, {}, True))
    return cases


@lru_cache(maxsize=None)
def _stack(template_text, frozen):
    return Stack(template_text, dict(frozen))


def stack_for(template_text, parameters, changes=None):
    """The template translated for `parameters` (a set of PARAMETER_SETS) and resolved with
    `changes` to their values."""
    stack = _stack(template_text, tuple(sorted(parameters.items())))
    return stack.with_parameters(changes) if changes else stack


@lru_cache(maxsize=None)
def parsed(template_text):
    return yaml_parse(template_text)


# ---- and nothing more ------------------------------------------------------------------------

def key_for(prefix):
    return prefix if prefix == "warm-up" else f"{prefix}chat-4f2a9c1e-demo"


def matrix_cases(template_text):
    cases = []
    all_names = set()
    for parameters in PARAMETER_SETS.values():
        all_names |= {v for k, v in parameters.items() if k.endswith("Parameter") and v}
    all_names |= {REQUIRED["ProductTokenParameter"], REQUIRED["CalloutTokensParameter"], "/cm-handover/other-secret"}
    for set_name, parameters in PARAMETER_SETS.items():
        stack = stack_for(template_text, parameters)
        for function in FUNCTIONS:
            role = stack.function(function)
            if role is None:
                continue
            policies = role["policies"]
            tag = f"[{set_name}]"
            # the table
            for action in TABLE_ACTIONS:
                for prefix in KEY_PREFIXES:
                    context = {}
                    if action not in ("Scan", "DescribeTable", "UpdateTable", "DeleteTable"):
                        context["dynamodb:LeadingKeys"] = [key_for(prefix)]
                    if action in READS:
                        context["dynamodb:Select"] = "ALL_ATTRIBUTES"
                    expected = (action, prefix) in TABLE_ACCESS[function]
                    if function == "availability" and (action, prefix) == ("GetItem", "intake#"):
                        cases.append((f"{function} GetItem of a whole intake {tag}", policies, None,
                                      "dynamodb:GetItem", TABLE_ARN, context, False))
                        for attributes, allowed in ((AVAILABILITY_INTAKE_ATTRIBUTES, True),
                                                    (["language", "email"], False),
                                                    (["name"], False)):
                            cases.append((f"{function} GetItem of an intake's {attributes} {tag}",
                                          policies, None, "dynamodb:GetItem", TABLE_ARN,
                                          {"dynamodb:LeadingKeys": [key_for(prefix)],
                                           "dynamodb:Select": "SPECIFIC_ATTRIBUTES",
                                           "dynamodb:Attributes": attributes}, allowed))
                        continue
                    cases.append((f"{function} {action} {prefix} {tag}", policies, None,
                                  f"dynamodb:{action}", TABLE_ARN, context, expected))
            if function == "handover":
                cases.append((f"handover BatchGetItem of an intake and a claim {tag}", policies, None,
                              "dynamodb:BatchGetItem", TABLE_ARN,
                              {"dynamodb:LeadingKeys": [key_for("intake#"), key_for("handover#")],
                               "dynamodb:Select": "ALL_ATTRIBUTES"}, False))
            # SSM: its own parameters, one at a time
            own = {v for k, v in role["environment"].items() if k.endswith("_PARAM") and v}
            for name in sorted(all_names):
                cases.append((f"{function} ssm:GetParameter {name} {tag}", policies, None,
                              "ssm:GetParameter", ssm_arn(name), {}, name in own))
            for name in sorted(own)[:1]:
                for action in ("ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
                               "ssm:PutParameter", "ssm:DeleteParameter"):
                    cases.append((f"{function} {action} {name} {tag}", policies, None, action,
                                  ssm_arn(name), {}, False))
            # SES: the message function, as the configured sender only
            if stack.condition("HasMailbox"):
                sender_address = stack.parameters["MessageFrom"]
                identity = stack.parameters["MessageFromIdentity"]
                identity_arn = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{identity}"
                for address, action, allowed in (
                    (sender_address, "ses:SendEmail", function == "message"),
                    ("ceo@shop.example", "ses:SendEmail", False),
                    (sender_address, "ses:SendRawEmail", False),
                ):
                    cases.append((f"{function} {action} from {address} {tag}", policies, None, action,
                                  identity_arn, {"ses:FromAddress": address}, allowed))
                cases.append((f"{function} ses:SendEmail as another identity {tag}", policies, None,
                              "ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/other.example",
                              {"ses:FromAddress": "chat@other.example"}, False))
            else:
                cases.append((f"{function} ses:SendEmail without a mailbox {tag}", policies, None,
                              "ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/shop.example",
                              {"ses:FromAddress": "chat@shop.example"}, False))
            # KMS: the key, only through the services that use it for the function
            if stack.condition("HasKmsKey"):
                for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"):
                    for via in KEY_USERS:
                        cases.append((f"{function} {action} via {via} {tag}", policies, DEFAULT_KEY_POLICY,
                                      action, KEY_ARN, {"kms:ViaService": via}, True))
                    for via in (None, f"ssm.{REGION}.amazonaws.com", f"s3.{REGION}.amazonaws.com"):
                        context = {"kms:ViaService": via} if via else {}
                        cases.append((f"{function} {action} {'via ' + via if via else 'called directly'} {tag}",
                                      policies, DEFAULT_KEY_POLICY, action, KEY_ARN, context, False))
                for action in ("kms:ReEncryptFrom", "kms:CreateGrant", "kms:ScheduleKeyDeletion"):
                    cases.append((f"{function} {action} {tag}", policies, DEFAULT_KEY_POLICY, action,
                                  KEY_ARN, {"kms:ViaService": KEY_USERS[0]}, False))
                other_key = KEY_ARN.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
                cases.append((f"{function} kms:Decrypt with another key {tag}", policies, DEFAULT_KEY_POLICY,
                              "kms:Decrypt", other_key, {"kms:ViaService": KEY_USERS[0]}, False))
    return cases


def evaluate(cases):
    """The findings: each case whose decision is not the expected one."""
    answers = simulate([
        {"policies": policies, "resourcePolicy": resource_policy, "action": action,
         "resource": resource, "context": context}
        for (_, policies, resource_policy, action, resource, context, _) in cases
    ])
    findings = []
    for case, answer in zip(cases, answers):
        where, _, _, _, _, context, expected = case
        decision = answer["decision"]
        if decision == "Error":
            findings.append(f"{where}: the evaluator refused the request: {json.dumps(answer.get('errors'))[:400]}")
        elif (decision == "Allowed") != expected:
            findings.append(f"{where} {json.dumps(context, sort_keys=True)}: "
                            f"{decision}, expected {'Allowed' if expected else 'denied'}")
    return findings


def check(template_text, folder):
    requests = read_recorded(folder)
    seen = {function for (function, *_rest) in requests}
    findings = [f"no request of {f} was recorded: is E2E_AWS_REQUESTS set for the end-to-end tests?"
                for f in FUNCTIONS if f not in seen]
    recorded = recorded_cases(template_text, requests)
    matrix = matrix_cases(template_text)
    findings += evaluate(recorded)
    findings += evaluate(matrix)
    return findings, len(requests), len(recorded), len(matrix)


# the planted calls: a Scan, another function's key prefix, a whole intake read by availability
PLANTED = ("availability Scan", "intake GetItem", "availability GetItem")
SELF_TESTS = len(PLANTED) + 1


def self_test(template_text):
    """The check must fail on planted calls without their permission and on a planted wider
    prefix; returns what went wrong with the check itself."""
    problems = []
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "planted.jsonl").write_text(json.dumps({
        "function": "availability", "target": "DynamoDB_20120810.Scan", "method": "POST", "path": "/",
        "body": {"TableName": "t"},
    }) + "\n" + json.dumps({
        "function": "intake", "target": "DynamoDB_20120810.GetItem", "method": "POST", "path": "/",
        "body": {"TableName": "t", "Key": {"pk": {"S": "handover#c1"}}},
    }) + "\n" + json.dumps({
        "function": "availability", "target": "DynamoDB_20120810.GetItem", "method": "POST", "path": "/",
        "body": {"TableName": "t", "Key": {"pk": {"S": "intake#c1"}}},
    }) + "\n")
        findings = evaluate(recorded_cases(template_text, read_recorded(folder)))
    for needle in PLANTED:
        if not any(f.startswith(needle) for f in findings):
            problems.append(f"a planted {needle} without its permission was not caught")
    widened = template_text.replace('dynamodb:LeadingKeys: ["route#*"]', 'dynamodb:LeadingKeys: ["*"]', 1)
    if widened == template_text:
        problems.append("the self-test found no route#* prefix to widen in template.yaml")
    elif not any(f.startswith("availability PutItem intake#") for f in evaluate(matrix_cases(widened))):
        problems.append("a planted wider prefix (route#* to *) was not caught")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="the recorded requests (*.jsonl), E2E_AWS_REQUESTS of the tests")
    args = parser.parse_args()
    template_text = (ROOT / "template.yaml").read_text()
    problems = self_test(template_text)
    for problem in problems:
        print(f"iam: the check itself: {problem}", file=sys.stderr)
    findings, distinct, recorded, matrix = check(template_text, args.folder)
    for finding in findings:
        print(f"iam: {finding}", file=sys.stderr)
    failed = len(findings) + len(problems)
    print(f"iam: {distinct} distinct recorded requests ({recorded} evaluations over "
          f"{len(PARAMETER_SETS)} parameter sets), {matrix} checks of what each role must not do, "
          f"{SELF_TESTS} plantings the check must catch: "
          f"{recorded + matrix + SELF_TESTS - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
