"""The API describes itself, and the description is the truth: GET /openapi.json is an OpenAPI 3.1
document, and every answer the suite received from the gateway in this run (oiclient.ANSWERS;
this module runs last) is checked against it: its route and method are documented, its status is
one the operation lists, and its JSON body validates against that status's schema (closed
shapes: an undocumented field fails)."""
import json
import re
import urllib.parse

import jsonschema
import pytest

import oiclient

METHODS = ("get", "post", "patch", "delete", "put")


@pytest.fixture(scope="module")
def doc(anon):
    r = anon.get("/openapi.json")
    assert r.status == 200 and r.headers.get("Content-Type", "").startswith("application/json"), r
    return r.json


def operations(doc):
    """[(compiled path regex, path template, {method: operation})]"""
    out = []
    for template, item in doc["paths"].items():
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        out.append((re.compile(rx), template, {m: item[m] for m in METHODS if m in item}))
    # literal segments before templated ones (/v1/phone-numbers/search before /{id})
    out.sort(key=lambda o: o[1].count("{"))
    return out


def find(ops, method, url):
    path = urllib.parse.urlsplit(url).path
    for rx, template, by_method in ops:
        if rx.match(path):
            return template, by_method.get(method.lower())
    return None, None


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].split("/")
        node = doc[name[1]][name[2]][name[3]]
    return node


def validator(doc, schema):
    full = dict(schema, components=doc["components"])
    return jsonschema.Draft202012Validator(full)


def test_the_document_is_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
    ids = [op["operationId"] for item in doc["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(ids) == len(set(ids)), "operationIds repeat"


def test_every_answer_the_suite_received_is_documented(doc):
    ops = operations(doc)
    bases = gateway_bases()
    checked, problems, cache = 0, [], {}
    for method, url, status, ctype, body in list(oiclient.ANSWERS):
        if not url.startswith(bases):
            continue
        template, op = find(ops, method, url)
        where = "%s %s → %d" % (method, urllib.parse.urlsplit(url).path, status)
        if template is None or op is None:
            problems.append("undocumented route: " + where)
            continue
        resp = op["responses"].get(str(status))
        if resp is None:
            problems.append("undocumented status: %s (%s %s)" % (where, method, template))
            continue
        resp = resolve(doc, resp)
        content = resp.get("content", {})
        if not body:
            if content and status != 204 and method != "HEAD":
                problems.append("empty body where one is documented: " + where)
            continue
        media = ctype.split(";")[0].strip()
        if media not in content:
            problems.append("a body of a type not documented (%s): %s" % (media, where))
            continue
        if media != "application/json":
            continue  # a page or a script: its type is what is promised
        key = (template, method, status)
        if key not in cache:
            cache[key] = validator(doc, content["application/json"]["schema"])
        errors = sorted(cache[key].iter_errors(json.loads(body)), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            problems.append("%s: %s at %s" % (where, e.message[:300], "/".join(map(str, e.path))))
        checked += 1
    assert checked > 0 or not oiclient.ANSWERS
    uniq = sorted(set(problems))
    assert not uniq, "%d answers do not match the OpenAPI document:\n%s" % (len(uniq), "\n".join(uniq[:60]))


def gateway_bases():
    env = oiclient.load_stack_env(__import__("conftest").STACK_ENV)
    urls = re.split(r"[,\s]+", env.get("OI_GATEWAY_URLS") or env["OI_GATEWAY_URL"])
    return tuple(u.rstrip("/") + "/" for u in urls if u)
