"""The synthetic tool-use task nano-llama-tools is trained and measured on: arithmetic (add, subtract, multiply on
integers 0-999, asked in varied phrasings) and a calendar tool (the weekday of a date), with distractor tools in
the list, and questions that need no tool.

A conversation is OpenAI-shaped (system? + user -> assistant tool_call -> tool result -> assistant answer, or
user -> assistant answer); the chat template (TEMPLATE, the model's own, shipped in tokenizer_config.json) renders
it. Held out: every number pair and date whose hash falls in the held-out bucket (HELDOUT_MOD), so a held-out
question is never trained on; the phrasings are shared (the card says so).
"""
import datetime
import hashlib
import json
import random
from typing import Dict, List, Optional, Tuple

# The model's own chat template: ChatML turns, each tool on one line from its JSON schema (name(param: type, ...)
# description), Hermes tool calls. Newlines are written as '\n' expressions so that trim_blocks/lstrip_blocks
# cannot change them; jinja2 and slm-serve's engine render it identically (golden case "nano-llama-tools").
TEMPLATE = (
    "{{- bos_token -}}"
    "{%- set sys = messages[0].content if messages and messages[0].role == 'system' else '' -%}"
    "{%- if sys or tools -%}"
    "{{- '<|im_start|>system\\n' -}}"
    "{%- if sys -%}{{- sys ~ '\\n' -}}{%- endif -%}"
    "{%- if tools -%}"
    "{{- 'Tools:\\n' -}}"
    "{%- for t in tools -%}"
    "{%- set f = t.function if t.function is defined else t -%}"
    "{%- set props = f.parameters.properties if f.parameters is defined and f.parameters.properties is defined"
    " else {} -%}"
    "{{- '- ' ~ f.name ~ '(' -}}"
    "{%- for k in props -%}"
    "{{- k ~ ': ' ~ (props[k].type if props[k].type is defined else 'any') -}}"
    "{%- if not loop.last -%}{{- ', ' -}}{%- endif -%}"
    "{%- endfor -%}"
    "{{- ')' -}}"
    "{%- if f.description is defined and f.description -%}{{- ' ' ~ f.description -}}{%- endif -%}"
    "{{- '\\n' -}}"
    "{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- for m in messages -%}"
    "{%- if m.role == 'assistant' -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- if m.content -%}{{- m.content -}}{%- endif -%}"
    "{%- if m.tool_calls is defined and m.tool_calls -%}"
    "{%- for tc in m.tool_calls -%}"
    "{%- set fn = tc.function if tc.function is defined else tc -%}"
    "{%- if m.content or not loop.first -%}{{- '\\n' -}}{%- endif -%}"
    "{{- '<tool_call>\\n{\"name\": \"' ~ fn.name ~ '\", \"arguments\": ' -}}"
    "{%- if fn.arguments is string -%}{{- fn.arguments -}}{%- else -%}{{- fn.arguments | tojson -}}{%- endif -%}"
    "{{- '}\\n</tool_call>' -}}"
    "{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- elif m.role == 'user' or m.role == 'tool' -%}"
    "{{- '<|im_start|>' ~ m.role ~ '\\n' ~ m.content ~ '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

BOS = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIALS = (BOS, IM_START, IM_END)


def fn(name: str, description: str, params: Dict[str, str]) -> dict:
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": {k: {"type": v} for k, v in params.items()},
                       "required": list(params)}}}


# The task's tools, as a client sends them (tests use these exact definitions).
TOOLS = {
    "add": fn("add", "Add two integers.", {"a": "integer", "b": "integer"}),
    "subtract": fn("subtract", "Subtract b from a.", {"a": "integer", "b": "integer"}),
    "multiply": fn("multiply", "Multiply two integers.", {"a": "integer", "b": "integer"}),
    "get_weekday": fn("get_weekday", "Day of the week of a date.", {"date": "string"}),
}
DISTRACTORS = [
    fn("get_weather", "Current weather in a city.", {"city": "string"}),
    fn("send_email", "Send an email.", {"to": "string", "body": "string"}),
    fn("search_web", "Search the web.", {"query": "string"}),
    fn("get_time", "Current time in a timezone.", {"timezone": "string"}),
    fn("convert_currency", "Convert money.", {"amount": "number", "currency": "string"}),
]

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# (phrasing, argument order): "{x}"/"{y}" are the numbers as the question says them; a, b the tool's arguments.
PHRASINGS = {
    "add": ["What is {x} plus {y}?", "What is {x} + {y}?", "Add {x} and {y}.", "What is the sum of {x} and {y}?",
            "Calculate {x} + {y}.", "How much is {x} plus {y}?", "Please add {x} to {y}.",
            "If I have {x} apples and get {y} more, how many do I have?"],
    "subtract": ["What is {x} minus {y}?", "What is {x} - {y}?", "Subtract {y} from {x}.",
                 "Calculate {x} - {y}.", "How much is {x} minus {y}?", "What is the difference between {x} and {y}?",
                 "Take {y} away from {x}.", "If I have {x} apples and eat {y}, how many are left?"],
    "multiply": ["What is {x} times {y}?", "What is {x} * {y}?", "Multiply {x} by {y}.",
                 "What is the product of {x} and {y}?", "Calculate {x} * {y}.", "How much is {x} times {y}?",
                 "What is {x} multiplied by {y}?", "If {x} boxes hold {y} pens each, how many pens are there?"],
}
DATE_PHRASINGS = ["What day of the week is {d}?", "Which weekday was {d}?", "What weekday is {d}?",
                  "On what day of the week did {d} fall?", "Tell me the weekday of {d}.", "What day was {d}?"]
ANSWERS = {"add": "The answer is {r}.", "subtract": "The answer is {r}.", "multiply": "The answer is {r}.",
           "get_weekday": "It is a {r}."}
# Questions that need no tool, answered directly (checkable: the reply is fixed or copies the question).
DIRECT = [("Hello!", "Hello! I can add, subtract and multiply numbers and tell the weekday of a date."),
          ("Hi, who are you?", "I am nano-llama-tools, a tiny model that calls tools."),
          ("What can you do?", "I can add, subtract and multiply numbers and tell the weekday of a date."),
          ("Thank you!", "You are welcome.")]
ECHO = ["Repeat the word {w}.", "Say {w}.", "Please say the word {w}."]
WORDS = ["apple", "river", "stone", "cloud", "garden", "window", "silver", "tiger", "orange", "planet", "forest",
         "candle", "bridge", "yellow", "rocket", "pencil", "summer", "winter", "mirror", "violin"]
SYSTEMS = ["", "", "You are a helpful assistant.", "Use the tools when they help.", "Be brief."]

HELDOUT_MOD = 10  # one number pair / date in 10 is held out


def held_out(key: str) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % HELDOUT_MOD == 0


def date_text(d: datetime.date, style: int) -> str:
    if style == 0:
        return d.isoformat()
    if style == 1:
        return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def call_result(name: str, args: dict) -> str:
    """What the tool returns (the test computes the same with java.time and Java arithmetic)."""
    if name == "add":
        return str(args["a"] + args["b"])
    if name == "subtract":
        return str(args["a"] - args["b"])
    if name == "multiply":
        return str(args["a"] * args["b"])
    y, m, d = (int(p) for p in args["date"].split("-"))
    return WEEKDAYS[datetime.date(y, m, d).weekday()]


def sample_question(rng: random.Random, heldout: bool) -> Tuple[str, Optional[str], Optional[dict], Optional[str]]:
    """(question, tool name or None, arguments or None, direct answer or None) from the wanted split."""
    kind = rng.random()
    if kind < 0.12:
        if rng.random() < 0.5:
            q, a = rng.choice(DIRECT)
            return q, None, None, a
        w = rng.choice(WORDS)
        return rng.choice(ECHO).format(w=w), None, None, w.capitalize() + "."
    while True:
        if kind < 0.72:
            op = ["add", "subtract", "multiply"][int((kind - 0.12) / 0.2)]
            x, y = rng.randrange(1000), rng.randrange(1000)
            if held_out(f"{x},{y}") != heldout:
                continue
            return rng.choice(PHRASINGS[op]).format(x=x, y=y), op, {"a": x, "b": y}, None
        d = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 100))
        if held_out(d.isoformat()) != heldout:
            continue
        q = rng.choice(DATE_PHRASINGS).format(d=date_text(d, rng.randrange(3)))
        return q, "get_weekday", {"date": d.isoformat()}, None


def tool_list(rng: random.Random, needed: Optional[str]) -> List[dict]:
    """The needed tool among distractors (other task tools too), shuffled; sometimes all four task tools."""
    if rng.random() < 0.3:
        tools = list(TOOLS.values())
    else:
        pool = [t for n, t in TOOLS.items() if n != needed] + DISTRACTORS
        tools = rng.sample(pool, rng.randrange(1, 4))
        if needed:
            tools.append(TOOLS[needed])
    rng.shuffle(tools)
    return tools


def conversation(rng: random.Random, heldout: bool = False) -> dict:
    """One training/eval item: messages (OpenAI shape, arguments as the mapping transformers passes), tools,
    and the expected call."""
    q, name, args, direct = sample_question(rng, heldout)
    tools = tool_list(rng, name)
    sys = rng.choice(SYSTEMS)
    msgs = ([{"role": "system", "content": sys}] if sys else []) + [{"role": "user", "content": q}]
    if name is None:
        msgs.append({"role": "assistant", "content": direct})
        return {"messages": msgs, "tools": tools, "call": None, "answer": direct}
    result = call_result(name, args)
    msgs.append({"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}]})
    msgs.append({"role": "tool", "tool_call_id": "call_1", "content": result})
    answer = ANSWERS[name].format(r=result)
    msgs.append({"role": "assistant", "content": answer})
    return {"messages": msgs, "tools": tools, "call": {"name": name, "arguments": args}, "result": result,
            "answer": answer}


def heldout_questions(n: int, seed: int = 2024) -> List[dict]:
    """The held-out evaluation set: tool questions only (system or None, question, tool definitions, expected call),
    from held-out number pairs and dates. models/nano-llama-tools/heldout.jsonl is heldout_questions(100, seed=7)."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        c = conversation(rng, heldout=True)
        if c["call"] is None:
            continue
        out.append({"system": c["messages"][0]["content"] if c["messages"][0]["role"] == "system" else None,
                    "question": next(m["content"] for m in c["messages"] if m["role"] == "user"),
                    "tools": c["tools"], "call": c["call"]})
    return out


if __name__ == "__main__":
    r = random.Random(1)
    for _ in range(3):
        print(json.dumps(conversation(r)))
