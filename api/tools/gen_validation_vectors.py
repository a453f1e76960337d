#!/usr/bin/python3
"""Writes api/tests/data/validation_vectors.jsonl: request-validation cases with the message
Nova Zed's own validator gives for each, so that nova-cpp's validator is checked against
Nova's code rather than against hand-copied strings.

Needs Nova Zed as Debian packages it (python3-nova 26.x, which brings python3-jsonschema
and the oslo libraries); nothing is fetched or built:

    apt-get install -y --no-install-recommends python3-nova
    /usr/bin/python3 api/tools/gen_validation_vectors.py > api/tests/data/validation_vectors.jsonl
"""
import importlib
import json
import os
import sys
import types

import nova  # noqa: E402

NOVA_SRC = os.path.dirname(os.path.dirname(nova.__file__))

# Import only the validation package, not the whole service.
objects = types.ModuleType("nova.objects")
tag = types.ModuleType("nova.objects.tag")
tag.MAX_TAG_LENGTH = 60
objects.tag = tag
sys.modules["nova.objects"] = objects
sys.modules["nova.objects.tag"] = tag
openstack = types.ModuleType("nova.api.openstack")
openstack.__path__ = [os.path.join(NOVA_SRC, "nova/api/openstack")]
sys.modules["nova.api.openstack"] = openstack
openstack.api_version_request = importlib.import_module("nova.api.openstack.api_version_request")
from nova.api.validation import parameter_types as pt  # noqa: E402
from nova.api.validation import validators  # noqa: E402
from nova import exception  # noqa: E402


def obj(props, required=(), additional=False):
    s = {"type": "object", "properties": props}
    if required:
        s["required"] = list(required)
    s["additionalProperties"] = additional
    return s


server = obj({"server": obj({"name": pt.name, "imageRef": pt.image_id,
                             "flavorRef": pt.flavor_ref, "networks": {"type": ["string", "array"]},
                             "metadata": pt.metadata, "accessIPv4": pt.accessIPv4,
                             "OS-DCF:diskConfig": pt.disk_config},
                            required=["name", "flavorRef"])}, required=["server"])
reboot = obj({"reboot": obj({"type": {"type": "string", "enum": ["HARD", "Hard", "hard",
                                                                   "SOFT", "Soft", "soft"]}},
                            required=["type"])}, required=["reboot"])
flavor = obj({"flavor": obj({"name": pt.name, "ram": pt.flavor_param_positive,
                             "swap": {"type": ["integer", "string"], "pattern": "^[0-9]+$",
                                      "minimum": 0, "exclusiveMinimum": True},
                             "os-flavor-access:is_public": pt.boolean,
                             "id": {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
                                    "pattern": "^(?! )[a-zA-Z0-9. _-]+(?<! )$"}},
                            required=["name", "ram"])})
keypair20 = obj({"keypair": obj({"name": pt.keypair_name_special_chars})})
keypair292 = obj({"keypair": obj({"name": pt.keypair_name_special_chars_292})})
aggregate = obj({"aggregate": obj({"name": pt.name_with_leading_trailing_spaces,
                                   "availability_zone": pt.az_name_with_leading_trailing_spaces})})
az = obj({"az": pt.az_name})
tags = obj({"tags": {"type": "array", "items": pt.tag, "maxItems": 50}})
certs = obj({"trusted_image_certificates": pt.trusted_certs})
policies = obj({"policies": {"type": "array", "items": [{"type": "string", "enum": ["affinity",
                 "anti-affinity"]}], "uniqueItems": True, "minItems": 1, "additionalItems": False}})
name_or_none = obj({"description": pt.name_or_none})
meta = obj({"metadata": pt.metadata_with_null})
hostname = obj({"hostname": pt.hostname})
props = obj({"p": {"type": "object", "minProperties": 1, "maxProperties": 2}})
when = obj({"changes-since": {"type": "string", "format": "date-time"}})
ip = obj({"ip": pt.ip_address, "cidr": pt.cidr})

query = {"type": "object", "properties": {
    "limit": pt.multi_params(pt.non_negative_integer),
    "marker": pt.multi_params({"type": "string"}),
    "all_tenants": pt.multi_params({"type": "string"}),
    "name": pt.common_query_regex_param,
    "deleted": pt.single_param(pt.boolean)},
    "additionalProperties": False,
    "patternProperties": {"^_": pt.common_query_param}}

CASES = [
    (server, {"server": {"name": "x", "flavorRef": "1"}}),
    (server, {"server": {"name": 1, "flavorRef": "1"}}),
    (server, {"server": {"name": "x"}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "bogus": 1}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "bogus": 1, "more": True}}),
    (server, {"server": "x"}),
    (server, None),
    (server, []),
    (server, {}),
    (server, {"server": {"name": "x", "flavorRef": "1"}, "extra": {}}),
    (server, {"server": {"name": " leading", "flavorRef": "1"}}),
    (server, {"server": {"name": "trailing ", "flavorRef": "1"}}),
    (server, {"server": {"name": "in side", "flavorRef": "1"}}),
    (server, {"server": {"name": "tab\tname", "flavorRef": "1"}}),
    (server, {"server": {"name": "ĥéllo wörld ☃", "flavorRef": "1"}}),
    (server, {"server": {"name": "emoji \U0001F600", "flavorRef": "1"}}),
    (server, {"server": {"name": "\u00a0nbsp", "flavorRef": "1"}}),
    (server, {"server": {"name": "line\u2028sep", "flavorRef": "1"}}),
    (server, {"server": {"name": "", "flavorRef": "1"}}),
    (server, {"server": {"name": "x" * 256, "flavorRef": "1"}}),
    (server, {"server": {"name": "é" * 255, "flavorRef": "1"}}),
    (server, {"server": {"name": "x", "flavorRef": ""}}),
    (server, {"server": {"name": "x", "flavorRef": 1.5}}),
    (server, {"server": {"name": "x", "flavorRef": True}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "imageRef": "not-a-uuid"}}),
    (server, {"server": {"name": "x", "flavorRef": "1",
                         "imageRef": "{70A599E0-31E7-49B7-B260-868F441E862B}"}}),
    (server, {"server": {"name": "x", "flavorRef": "1",
                         "imageRef": "70a599e031e749b7b260868f441e862b"}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "imageRef": 12}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "metadata": {"k": "v"}}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "metadata": {"bad/key": "v"}}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "metadata": {"k": 1}}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "metadata": {"k": "v" * 256}}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "metadata": "nope"}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "accessIPv4": "1.2.3.4"}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "accessIPv4": "1.2.3.400"}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "OS-DCF:diskConfig": "auto"}}),
    (server, {"server": {"name": "it's", "flavorRef": 1, "bogus": "it's \"q\""}}),
    (server, {"server": {"name": "x", "flavorRef": "1", "networks": {"a": 1.5, "b": [1e20, None]}}}),
    (reboot, {"reboot": {"type": "SOFT"}}),
    (reboot, {"reboot": {"type": "soft reboot"}}),
    (reboot, {"reboot": {}}),
    (reboot, {"reboot": None}),
    (reboot, {"reboot": {"type": "HARD"}, "x": 1}),
    (flavor, {"flavor": {"name": "f", "ram": 512}}),
    (flavor, {"flavor": {"name": "f", "ram": "512"}}),
    (flavor, {"flavor": {"name": "f", "ram": 0}}),
    (flavor, {"flavor": {"name": "f", "ram": "0"}}),
    (flavor, {"flavor": {"name": "f", "ram": -1}}),
    (flavor, {"flavor": {"name": "f", "ram": "abc"}}),
    (flavor, {"flavor": {"name": "f", "ram": 2147483648}}),
    (flavor, {"flavor": {"name": "f", "ram": 512.5}}),
    (flavor, {"flavor": {"name": "f", "ram": 512, "swap": 0}}),
    (flavor, {"flavor": {"name": "f", "ram": 512, "swap": "0"}}),
    (flavor, {"flavor": {"name": "f", "ram": 512, "os-flavor-access:is_public": "maybe"}}),
    (flavor, {"flavor": {"name": "f", "ram": 512, "os-flavor-access:is_public": 1}}),
    (flavor, {"flavor": {"name": "f", "ram": 512, "os-flavor-access:is_public": "yes"}}),
    (flavor, {"flavor": {"name": "f", "ram": 512, "id": " lead"}}),
    (flavor, {"flavor": {"name": "f", "ram": 512, "id": "ok.id-1_2"}}),
    (keypair20, {"keypair": {"name": "key-1 a_b"}}),
    (keypair20, {"keypair": {"name": "key@host"}}),
    (keypair292, {"keypair": {"name": "key@host.x"}}),
    (keypair292, {"keypair": {"name": "key/x"}}),
    (keypair292, {"keypair": {"name": " key"}}),
    (aggregate, {"aggregate": {"name": "  spaced  ", "availability_zone": " az "}}),
    (aggregate, {"aggregate": {"name": "   "}}),
    (aggregate, {"aggregate": {"name": "a", "availability_zone": "a:b"}}),
    (az, {"az": "zone:1"}),
    (az, {"az": "zone-1"}),
    (tags, {"tags": ["a", "b"]}),
    (tags, {"tags": ["a,b"]}),
    (tags, {"tags": ["x" * 61]}),
    (tags, {"tags": [""]}),
    (tags, {"tags": ["t%d" % i for i in range(51)]}),
    (certs, {"trusted_image_certificates": []}),
    (certs, {"trusted_image_certificates": ["a", "a"]}),
    (certs, {"trusted_image_certificates": None}),
    (certs, {"trusted_image_certificates": [""]}),
    (policies, {"policies": ["affinity"]}),
    (policies, {"policies": ["affinity", "anti-affinity"]}),
    (policies, {"policies": ["other"]}),
    (policies, {"policies": []}),
    (name_or_none, {"description": None}),
    (name_or_none, {"description": 5}),
    (name_or_none, {"description": ""}),
    (meta, {"metadata": {"k": None}}),
    (meta, {"metadata": {"k": 1}}),
    (hostname, {"hostname": "a"}),
    (hostname, {"hostname": "host_1"}),
    (hostname, {"hostname": "host-1"}),
    (props, {"p": {}}),
    (props, {"p": {"a": 1, "b": 2, "c": 3}}),
    (when, {"changes-since": "2026-01-02T03:04:05Z"}),
    (when, {"changes-since": "2026-01-02"}),
    (when, {"changes-since": "yesterday"}),
    (ip, {"ip": "10.0.0.1", "cidr": "10.0.0.0/24"}),
    (ip, {"ip": "::1", "cidr": "fe80::/64"}),
    (ip, {"ip": "10.0.0", "cidr": "10.0.0.0"}),
    (ip, {"cidr": "10.0.0.0/33"}),
    (query, {"limit": ["10"]}, False),
    (query, {"limit": ["-1"]}, False),
    (query, {"limit": ["abc"]}, False),
    (query, {"limit": [""]}, False),
    (query, {"foo": ["1"]}, False),
    (query, {"foo": ["1"], "bar": ["2"]}, False),
    (query, {"_secret": ["1"]}, False),
    (query, {"deleted": ["true", "false"]}, False),
    (query, {"deleted": ["perhaps"]}, False),
    (query, {"name": ["[unclosed"]}, False),
    (query, {"name": ["web-.*"]}, False),
]


def message(schema, instance, is_body):
    try:
        validators._SchemaValidator(schema, False, is_body).validate(instance)
        return "OK"
    except exception.ValidationError as e:
        return e.format_message()


for case in CASES:
    schema, instance = case[0], case[1]
    is_body = case[2] if len(case) > 2 else True
    print(json.dumps({"schema": schema, "instance": instance, "body": is_body,
                      "expected": message(schema, instance, is_body)}, ensure_ascii=False))
