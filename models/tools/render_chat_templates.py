#!/usr/bin/python3
"""Renders the golden chat-template cases with Python jinja2 configured exactly as transformers configures it.

Reads src/test/resources/chat-templates/{templates.json,conversations.json,<name>.jinja} and writes
expected/<name>.json: for each conversation either {"output": text} or {"error": message, "raised": bool}
("raised" when the template called raise_exception). ChatTemplateGoldenTest (Java) must reproduce these
byte for byte; tests/test_chat_templates.py re-renders them so the committed expectations cannot drift from
jinja2.

    /usr/bin/python3 models/tools/render_chat_templates.py [--check]
"""
import json
import os
import sys
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CASES = os.path.join(ROOT, "src", "test", "resources", "chat-templates")


class GenerationTag(jinja2.ext.Extension):
    """transformers' AssistantTracker without the tracking: {% generation %} renders its body unchanged."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


class RaisedByTemplate(jinja2.exceptions.TemplateError):
    pass


# The three definitions below are copied from transformers' src/transformers/utils/chat_template_utils.py
# (_compile_jinja_template); raise_exception raises a TemplateError subclass so the golden file can say so.
def raise_exception(message):
    raise RaisedByTemplate(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def compile_template(source):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                       extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


# The day the golden files were rendered: templates that print today's date (granite3.3) get this one, so the
# expectations hold on any day (ChatTemplateGoldenTest pins the Java engine's strftime_now to the same moment).
GOLDEN_NOW = datetime(2026, 12, 6, 12, 0)


def golden_strftime_now(format):
    return GOLDEN_NOW.strftime(format)


def render_case(template, entry, conversation):
    """What transformers' apply_chat_template(tokenize=False) returns, or the error it raises; strftime_now reads
    GOLDEN_NOW (a render variable shadows the global of the same name, in jinja2 as in the Java engine)."""
    kwargs = {"bos_token": entry["bos_token"], "eos_token": entry["eos_token"], "strftime_now": golden_strftime_now}
    kwargs.update(entry.get("kwargs", {}))
    kwargs.update(conversation.get("chat_template_kwargs", {}))
    try:
        text = template.render(messages=conversation["messages"], tools=conversation.get("tools"),
                               documents=conversation.get("documents"),
                               add_generation_prompt=conversation["add_generation_prompt"], **kwargs)
        return {"output": text}
    except RaisedByTemplate as e:
        return {"error": str(e), "raised": True}
    except Exception as e:  # the Java engine must fail too; only raise_exception messages must match exactly
        return {"error": "%s: %s" % (type(e).__name__, e), "raised": False}


def load(name):
    with open(os.path.join(CASES, name), encoding="utf-8") as f:
        return json.load(f)


def render_all():
    conversations = load("conversations.json")
    results = {}
    for entry in load("templates.json"):
        with open(os.path.join(CASES, entry["name"] + ".jinja"), encoding="utf-8") as f:
            template = compile_template(f.read())
        results[entry["name"]] = {c["id"]: render_case(template, entry, c) for c in conversations}
    return results


def expected_path(name):
    return os.path.join(CASES, "expected", name + ".json")


def main():
    check = "--check" in sys.argv
    os.makedirs(os.path.join(CASES, "expected"), exist_ok=True)
    stale = []
    for name, cases in render_all().items():
        text = json.dumps(cases, indent=1, ensure_ascii=False) + "\n"
        path = expected_path(name)
        if check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        outputs = sum(1 for c in cases.values() if "output" in c)
        print("%-28s %d rendered, %d errors" % (name, outputs, len(cases) - outputs))
    if stale:
        sys.exit("expected outputs differ from jinja2 for: " + ", ".join(stale))


if __name__ == "__main__":
    main()
