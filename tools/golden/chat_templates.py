"""Chat-template goldens: renders with Python's jinja2 configured exactly as transformers does.

Mirrors transformers' `_compile_jinja_template` (chat_template_utils.py):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]) plus the
`{% generation %}` tag (rendered as its body), the `tojson` filter override (json.dumps with ensure_ascii=False,
indent, separators, sort_keys), the `raise_exception` global (raises TemplateError) and `strftime_now`.
Render variables mirror `apply_chat_template`: messages, tools (None when absent), documents (None),
add_generation_prompt, the special tokens present in tokenizer_config.json (bos_token / eos_token; an AddedToken
dict contributes its "content"), plus extra kwargs.

The template text of every shipped tokenizer_config.json (read from shared/ at generation time) is stored in the
golden file, so the C# tests do not need shared/ for rendering; a separate test checks that shared/ still holds
the same text.

Run from the repository root:  /usr/bin/python3 tools/golden/chat_templates.py
Writes tests/ExpertMix.Models.Tests/Golden/chat/chat_templates.json
"""
import datetime
import json
import os
import sys

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

FORMAT_VERSION = "1"
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO_ROOT, "tests", "ExpertMix.Models.Tests", "Golden", "chat", "chat_templates.json")
SHARED = os.environ.get("EXPERTMIX_SHARED", os.path.abspath(os.path.join(REPO_ROOT, "..", "..", "shared")))
if not os.path.isdir(SHARED):
    SHARED = "/work/shared"
COMMAND = "/usr/bin/python3 tools/golden/chat_templates.py"
FIXED_NOW = datetime.datetime(2024, 7, 26, 9, 5, 7)


class GenerationTracker(Extension):
    """transformers' AssistantTracker without the index bookkeeping: {% generation %}body{% endgeneration %}."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return FIXED_NOW.strftime(fmt)


def make_env():
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


ENV = make_env()


def render(template, variables):
    """{"expected": str} or {"error_type", "error"}."""
    try:
        return {"expected": ENV.from_string(template).render(**variables)}
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error_type": "TemplateSyntaxError", "error": e.message, "line": e.lineno}
    except jinja2.exceptions.UndefinedError as e:
        return {"error_type": "UndefinedError", "error": str(e)}
    except jinja2.exceptions.TemplateError as e:
        return {"error_type": "TemplateError", "error": str(e)}
    except Exception as e:  # TypeError, ValueError, ZeroDivisionError, ... from Python itself
        return {"error_type": type(e).__name__, "error": str(e)}


def token_content(tok):
    if isinstance(tok, dict):
        return tok.get("content")
    return tok


# ----------------------------------------------------------------------------------------------------------------
# Conversations
# ----------------------------------------------------------------------------------------------------------------

def u(text):
    return {"role": "user", "content": text}


def a(text, **extra):
    m = {"role": "assistant", "content": text}
    m.update(extra)
    return m


def s(text):
    return {"role": "system", "content": text}


UNICODE = "Grüße 👋 — 日本語, \"quotes\", back\\slash and a tab\tend"
PADDED = "  \n padded content with spaces \n\n"

COMMON = [
    ("single_user", [u("Hello!")]),
    ("system_user", [s("You are a helpful assistant."), u("What is 2+2?")]),
    ("multi_turn", [u("Hi there"), a("Hello! How can I help?"), u("Tell me a joke.")]),
    ("system_multi_turn", [s("Be brief."), u("Hi"), a("Hello."), u("Bye")]),
    ("unicode", [u(UNICODE)]),
    ("whitespace", [s(PADDED), u(PADDED), a(PADDED), u("  x  ")]),
    ("assistant_last", [u("Question?"), a("Answer.")]),
    ("empty_content", [u("")]),
    ("non_alternating", [u("one"), u("two")]),
    ("assistant_first", [a("I start."), u("ok")]),
]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city — °C or °F.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "default": 1},
                "threshold": {"type": "number", "default": 0.5},
                "verbose": {"type": "boolean", "default": False, "nullable": None},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "description": "Current time.",
                                               "parameters": {"type": "object", "properties": {}}}}

QWEN3_EXTRA = [
    ("tools_single_user", [u("What's the weather in Paris?")], {"tools": [WEATHER_TOOL, TIME_TOOL]}),
    ("tools_system_user", [s("You are a weather bot."), u("Weather in Zürich?")], {"tools": [WEATHER_TOOL]}),
    ("tool_call_round_trip", [
        s("sys"),
        u("Weather in Paris and the time?"),
        a("", tool_calls=[
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}},
            {"type": "function", "function": {"name": "get_time", "arguments": "{\"tz\": \"CET\"}"}},
        ]),
        {"role": "tool", "content": "{\"temp\": 21.5, \"sky\": \"clear\"}"},
        {"role": "tool", "content": "09:05"},
        a("It is 21.5 °C and 09:05 in Paris."),
        u("Thanks"),
    ], {"tools": [WEATHER_TOOL, TIME_TOOL]}),
    ("tool_call_with_content_no_function_wrapper", [
        u("Call it"),
        a("Let me check.", tool_calls=[{"name": "get_time", "arguments": {}}]),
        {"role": "tool", "content": "noon"},
    ], {"tools": [TIME_TOOL]}),
    ("reasoning_content_last", [u("2+2?"), a("4", reasoning_content="\nSimple arithmetic.\n")], {}),
    ("reasoning_content_history", [
        u("2+2?"), a("4", reasoning_content="add"), u("3+3?"), a("6", reasoning_content="add again"),
    ], {}),
    ("think_tags_in_content", [
        u("Q1"), a("<think>\nold thought\n</think>\n\nA1"), u("Q2"), a("<think>\nnew thought\n</think>\n\nA2"),
    ], {}),
    ("reasoning_none", [u("Q"), a("A", reasoning_content=None)], {}),
    ("tool_response_as_user", [u("<tool_response>x</tool_response>"), u("real question")], {}),
    ("enable_thinking_false", [u("Hi")], {"enable_thinking": False}),
    ("enable_thinking_true", [u("Hi")], {"enable_thinking": True}),
    ("system_not_first", [u("Hi"), s("late system"), a("ok")], {}),
    ("assistant_content_none_with_tool_call", [
        u("time?"), a(None, tool_calls=[{"type": "function", "function": {"name": "get_time", "arguments": {}}}]),
    ], {"tools": [TIME_TOOL]}),
]

GEMMA3_EXTRA = [
    ("list_content", [
        {"role": "system", "content": [{"type": "text", "text": "  System from list. "}]},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": " Describe this. "}]},
    ], {}),
    ("invalid_content_type", [{"role": "user", "content": 42}], {}),
]

# Meta's Llama-2-chat template (meta-llama/Llama-2-7b-chat-hf). shared/tokenizers/llama2 ships no chat_template,
# so this reference copy covers the classic [INST] / <<SYS>> format and its alternation check.
LLAMA2_CHAT = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
)

# Reference templates in the style of other popular models (written for this golden, not copied from a model card):
# they exercise constructs the shipped templates do not (strftime_now, tojson(indent=4), loop.last, messages|length,
# `is not defined`, nested namespaces, macros). jinja2 renders them, so their exact wording does not matter.
LLAMA31_STYLE = """{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = strftime_now("%d %b %Y") %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message #}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{#- Custom tools are passed in a user message with some extra guidance #}
{%- if tools_in_user_message and not tools is none %}
    {#- Extract the first user message so we can plug it in here #}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
{%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\n\n' -}}
    {{- "Given the following functions, please respond with a JSON for a function call " }}
    {{- "with its proper arguments that best answers the given prompt.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"""

MISTRAL_STYLE = """{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\n\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}
"""

CHATML_MACRO_STYLE = """{%- macro render_content(content) -%}
    {%- if content is string -%}{{ content }}
    {%- elif content is iterable -%}
        {%- for part in content if part.type == 'text' -%}{{ part.text }}{% if not loop.last %} {% endif %}{%- endfor -%}
    {%- endif -%}
{%- endmacro -%}
{%- set ns = namespace(sys_seen=false, turns=0) -%}
{%- for message in messages -%}
    {%- if message.role == 'system' -%}{%- set ns.sys_seen = true -%}{%- endif -%}
    {%- if message.role in ['user', 'assistant'] -%}{%- set ns.turns = ns.turns + 1 -%}{%- endif -%}
{%- endfor -%}
{%- if not ns.sys_seen -%}
<|im_start|>system
You are a helpful assistant ({{ ns.turns }} turn{{ 's' if ns.turns != 1 }}).<|im_end|>
{% endif -%}
{%- for message in messages -%}
<|im_start|>{{ message.role }}
{{ render_content(message.content) | trim }}<|im_end|>
{% endfor -%}
{%- if add_generation_prompt -%}
<|im_start|>assistant
{% endif -%}
"""

LLAMA31_EXTRA = [
    ("tools_in_user_message", [u("Weather in Paris?")], {"tools": [WEATHER_TOOL]}),
    ("tools_in_system", [s("Sys"), u("Weather?")], {"tools": [WEATHER_TOOL], "tools_in_user_message": False}),
    ("tool_call_and_result", [
        u("Weather?"),
        {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "get_weather",
                                                                              "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "content": {"temp": 21}},
        {"role": "ipython", "content": "plain"},
    ], {"tools": [WEATHER_TOOL]}),
    ("two_tool_calls_rejected", [u("x"), {"role": "assistant", "tool_calls": [
        {"function": {"name": "a", "arguments": {}}}, {"function": {"name": "b", "arguments": {}}}]}], {}),
    ("date_string_given", [u("Hi")], {"date_string": "01 Jan 2025"}),
]

CHATML_EXTRA = [
    ("list_content", [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image"},
                                                    {"type": "text", "text": "b"}]}], {}),
]


def template_cases(template, bos, eos, extra_cases):
    """(conversations, cases): each conversation stored once; each case renders one with or without the prompt."""
    conversations, cases = {}, []
    for name, messages, extra in [(n, m, {}) for n, m in COMMON] + extra_cases:
        conversations[name] = {"messages": messages, "tools": extra.get("tools"),
                               "extra": {k: v for k, v in extra.items() if k != "tools"}}
        if name == "assistant_last":
            agps = [False]
        elif name.startswith("random_"):
            agps = [int(name[-2:]) % 2 == 0]
        else:
            agps = [True, False]
        for agp in agps:
            variables = {"messages": messages, "tools": extra.get("tools"), "documents": None,
                         "add_generation_prompt": agp}
            if bos is not None:
                variables["bos_token"] = bos
            if eos is not None:
                variables["eos_token"] = eos
            variables.update(conversations[name]["extra"])
            case = {"name": f"{name}{'_agp' if agp else ''}", "conversation": name, "add_generation_prompt": agp}
            case.update(render(template, variables))
            cases.append(case)
    return conversations, cases


RANDOM_PIECES = ["Hello", " ", "  ", "\n", "\n\n", "\t", "é", "日本", "👋", "<think>", "</think>", "\"q\"", "{{ x }}",
                 "{% if %}", "\\", "<tool_response>", "</tool_response>", "a b", "Ω", "\r\n", "\u00a0", "end."]


def random_conversations(seed, count):
    """Seeded random conversations: alternating or not, optional system, odd whitespace and markup in content."""
    import random
    rng = random.Random(seed)
    out = []
    for i in range(count):
        def text():
            return "".join(rng.choice(RANDOM_PIECES) for _ in range(rng.randint(0, 6)))
        messages = [s(text())] if rng.random() < 0.4 else []
        turns = rng.randint(1, 5)
        alternate = rng.random() < 0.8
        for t in range(turns):
            role = ("user" if t % 2 == 0 else "assistant") if alternate else rng.choice(["user", "assistant", "system"])
            messages.append({"role": role, "content": text()})
        out.append((f"random_{i:02d}", messages, {}))
    return out


def shipped_templates():
    out = []
    for folder, extra in [("tokenizers/llama2", []), ("tokenizers/llama3", random_conversations(3, 12)),
                          ("tokenizers/qwen3", QWEN3_EXTRA + random_conversations(4, 12)),
                          ("tokenizers/gemma3", GEMMA3_EXTRA + random_conversations(5, 12)), ("models/stories260K", [])]:
        path = os.path.join(SHARED, folder, "tokenizer_config.json")
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
        template = cfg.get("chat_template")
        bos, eos = token_content(cfg.get("bos_token")), token_content(cfg.get("eos_token"))
        entry = {"name": folder.split("/")[-1], "source": f"shared/{folder}/tokenizer_config.json",
                 "has_template": template is not None, "bos_token": bos, "eos_token": eos}
        if template is not None:
            if not isinstance(template, str):
                template = next(t["template"] for t in template if t["name"] == "default")
            entry["template"] = template
            entry["conversations"], entry["cases"] = template_cases(template, bos, eos, extra)
        out.append(entry)
    for name, template, bos, eos, extra in [
            ("llama3.1-style-reference", LLAMA31_STYLE, "<|begin_of_text|>", "<|eot_id|>", LLAMA31_EXTRA),
            ("mistral-style-reference", MISTRAL_STYLE, "<s>", "</s>", []),
            ("chatml-macro-style-reference", CHATML_MACRO_STYLE, None, "<|im_end|>", CHATML_EXTRA)]:
        conversations, cases = template_cases(template, bos, eos, extra)
        out.append({"name": name, "source": "reference template written for this golden (not in shared/)",
                    "has_template": True, "bos_token": bos, "eos_token": eos, "template": template,
                    "conversations": conversations, "cases": cases})
    conversations, cases = template_cases(LLAMA2_CHAT, "<s>", "</s>", [])
    out.append({"name": "llama2-chat-reference", "source": "Meta Llama-2-chat template (not in shared/)",
                "has_template": True, "bos_token": "<s>", "eos_token": "</s>", "template": LLAMA2_CHAT,
                "conversations": conversations, "cases": cases})
    return out


# ----------------------------------------------------------------------------------------------------------------
# Snippets: one small template per engine construct
# ----------------------------------------------------------------------------------------------------------------

D = {"name": "Ann", "items": [3, 1, 2], "m": {"b": 2, "a": 1, "c": None}, "s": "  Hello World  ",
     "users": [{"name": "x", "age": 3, "ok": True}, {"name": "y", "age": 1, "ok": False},
               {"name": "z", "age": 2, "ok": True}],
     "f": 2.5, "n": None, "t": True, "e": "", "l": [], "u": "Grüße 👋"}

SNIPPETS = [
    # whitespace control, trim_blocks, lstrip_blocks
    ("text_only", "Hello\nworld\n", {}),
    ("trailing_newline_kept_once", "a\n\n", {}),
    ("trim_blocks_newline", "{% if true %}\nyes\n{% endif %}\nend", {}),
    ("lstrip_blocks_indent", "x\n    {% if true %}\n    y\n    {% endif %}\nz", {}),
    ("lstrip_not_for_variables", "x\n    {{ 1 }}\n", {}),
    ("lstrip_at_template_start", "   {% if true %}a{% endif %}", {}),
    ("lstrip_text_before_tag_same_line", "ab  {% if true %}c{% endif %}", {}),
    ("minus_strips_both_sides", "a  \n  {%- if true -%}  \n  b  \n  {%- endif -%}  \n  c", {}),
    ("minus_on_variables", "a \n {{- 'x' -}} \n b", {}),
    ("plus_disables_lstrip", "x\n    {%+ if true %}y{% endif %}", {}),
    ("plus_disables_trim", "{% if true +%}\ny{% endif %}", {}),
    ("comment_trimmed", "a\n  {# note #}\nb {#- c -#} d", {}),
    ("crlf_text", "a\r\nb{% if true %}\r\nc{% endif %}", {}),
    ("variable_end_no_trim", "{{ 'a' }}\nb", {}),
    # literals and printing
    ("print_none_bool", "{{ none }} {{ None }} {{ true }} {{ False }} {{ n }}", D),
    ("print_numbers", "{{ 1 }} {{ 1.0 }} {{ 2.50 }} {{ 1e3 }} {{ 1_000 }} {{ 0.1 + 0.2 }} {{ 1/3 }} {{ 1e-7 }} {{ 1e22 }}",
     {}),
    ("print_list_dict", "{{ [1, 'a', none, true, 2.0] }} {{ {'k': 'v', 'n': [1]} }} {{ m }} {{ (1, 2) }} {{ (1,) }}", D),
    ("print_string_repr_quotes", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n', 'tab\\t', 'bs\\\\'] }}", {}),
    ("print_unicode_repr", "{{ [u, 'é\\x01'] }}", D),
    ("string_escapes", "{{ 'a\\nb\\tc\\\\d\\'e\\u00e9\\x41' }}|{{ \"q\\\"\" }}", {}),
    ("adjacent_strings", "{{ 'a' 'b' \"c\" }}", {}),
    ("undefined_prints_empty", "[{{ nothing }}][{{ m.zzz }}][{{ m['zzz'] }}]", D),
    # arithmetic and operators
    ("arithmetic", "{{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} "
                   "{{ 7.5 // 2 }} {{ 7.5 % 2 }} {{ 1 + 2 * 3 - 4 }} {{ (1 + 2) * 3 }} {{ -f }} {{ +3 }} {{ 4 / 2 }}", D),
    ("power_right_assoc_and_unary", "{{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ not false }}", {}),
    ("string_concat", "{{ 'a' + 'b' }} {{ 'a' ~ 1 ~ none ~ true ~ nothing ~ 2.0 }} {{ [1] + [2, 3] }} {{ 'ab' * 3 }}", {}),
    ("int_plus_string_error", "{{ 1 + 'a' }}", {}),
    ("comparisons", "{{ 1 == 1.0 }} {{ 1 != 2 }} {{ 'a' < 'b' }} {{ 2 >= 2 }} {{ 3 > 2.5 }} {{ 'x' == 'x' }} "
                    "{{ none == none }} {{ [1, 2] == [1, 2] }} {{ true == 1 }} {{ 'a' == 1 }} {{ 1 < 2 < 3 }} "
                    "{{ {'a': 1} == {'a': 1} }}", {}),
    ("logic_returns_operands", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ e or 'default' }} {{ none and 1 }} "
                               "{{ not 0 }} {{ not 'a' }} {{ l or items }}", D),
    ("in_operator", "{{ 'ell' in 'hello' }} {{ 2 in items }} {{ 'a' in m }} {{ 'z' not in m }} {{ 5 not in items }}", D),
    ("conditional_expression", "{{ 'y' if t else 'n' }} {{ 'y' if n else 'n' }} [{{ 'y' if false }}] "
                               "{{ 1 if false else 2 if true else 3 }}", D),
    # attribute / item access and slicing
    ("attribute_and_item", "{{ users[0].name }} {{ users[1]['age'] }} {{ m.a }} {{ m['b'] }} {{ items[-1] }} "
                           "{{ 'abc'[1] }} {{ users[-1].name }}", D),
    ("slicing", "{{ items[1:] }} {{ items[::-1] }} {{ items[:2] }} {{ items[-2:] }} {{ 'hello'[1:4] }} "
                "{{ 'hello'[::-1] }} {{ items[::2] }} {{ items[5:] }} {{ 'abcdef'[-4:-1:2] }} {{ items[1:-1] }}", D),
    ("missing_attr_of_undefined_errors", "{{ nothing.x }}", {}),
    ("missing_attr_of_dict_chain_errors", "{{ m.zzz.x }}", D),
    ("index_out_of_range_is_undefined", "[{{ items[10] }}]", D),
    # tests
    ("tests_defined", "{{ name is defined }} {{ zz is defined }} {{ zz is undefined }} {{ m.c is none }} "
                      "{{ m.c is not none }} {{ m.q is defined }}", D),
    ("tests_types", "{{ 'a' is string }} {{ 1 is string }} {{ m is mapping }} {{ items is mapping }} "
                    "{{ items is iterable }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ items is sequence }} "
                    "{{ 'a' is sequence }} {{ m is sequence }} {{ 1 is number }} {{ 1.5 is number }} "
                    "{{ 'a' is number }} {{ true is number }} {{ 1 is integer }} {{ 1.0 is float }} {{ true is boolean }} "
                    "{{ 1 is boolean }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ none is none }} "
                    "{{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} "
                    "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ t is sameas true }} {{ m is callable }}", D),
    ("tests_comparison_names", "{{ 2 is eq 2 }} {{ 2 is ne 3 }} {{ 1 is lt 2 }} {{ 2 is gt 1 }} {{ 1 is in [1] }}", {}),
    # filters
    ("filter_trim_and_case", "[{{ s|trim }}] [{{ s|upper }}] [{{ s|lower }}] [{{ 'hello wORLD'|title }}] "
                             "[{{ 'hello WORLD'|capitalize }}] [{{ 'xxhixx'|trim('x') }}]", D),
    ("filter_length_count", "{{ items|length }} {{ 'abc'|length }} {{ m|count }} {{ l|length }} {{ u|length }}", D),
    ("filter_tojson", "{{ m|tojson }} {{ users|tojson }} {{ u|tojson }} {{ 'a\"b\\\\c\\n\\t\\u0001'|tojson }} "
                      "{{ [1.0, 2.5, 1e20, none, true]|tojson }} {{ 'x'|tojson }} {{ n|tojson }}", D),
    ("filter_tojson_indent", "{{ m|tojson(indent=2) }}\n{{ users[:1]|tojson(indent=4) }}\n{{ l|tojson(indent=2) }}\n"
                             "{{ {}|tojson(indent=2) }}\n{{ m|tojson(sort_keys=true) }}", D),
    ("filter_tojson_separators", "{{ m|tojson(separators=(',', ':')) }}", D),
    ("filter_join_first_last", "{{ items|join(', ') }} {{ items|join }} {{ items|first }} {{ items|last }} "
                               "{{ 'abc'|first }} {{ users|join(',', attribute='name') }}", D),
    ("filter_list_reverse_sort", "{{ 'abc'|list }} {{ items|reverse|list }} {{ 'abc'|reverse }} {{ items|sort }} "
                                 "{{ items|sort(reverse=true) }} {{ users|sort(attribute='age')|map(attribute='name')|list }}",
     D),
    ("filter_map_select", "{{ users|map(attribute='name')|join('/') }} {{ users|selectattr('ok')|map(attribute='name')|list }} "
                          "{{ users|rejectattr('ok')|map(attribute='name')|list }} "
                          "{{ users|selectattr('age', 'gt', 1)|map(attribute='age')|list }} "
                          "{{ users|selectattr('name', 'equalto', 'y')|list|length }} "
                          "{{ items|select('odd')|list }} {{ items|reject('odd')|list }} {{ [0, 1, '', 'a']|select|list }} "
                          "{{ ['a', 'B']|map('upper')|list }}", D),
    ("filter_default", "{{ zz|default('d') }} {{ zz|d('d2') }} {{ n|default('d3') }} {{ e|default('d4', true) }} "
                       "{{ name|default('no') }} {{ e|default('d5') }}", D),
    ("filter_conversions", "{{ '42'|int + 1 }} {{ 'x'|int }} {{ '3.5'|float }} {{ 3|float }} {{ 3.9|int }} "
                           "{{ 5|string ~ 'a' }} {{ none|string }} {{ [1]|string }} {{ true|int }}", {}),
    ("filter_items_dictsort", "{% for k, v in m|items %}{{ k }}={{ v }};{% endfor %} "
                              "{% for k, v in m|dictsort %}{{ k }}={{ v }};{% endfor %}", D),
    ("filter_replace_indent", "{{ 'aXbXc'|replace('X', '-') }} {{ 'aaa'|replace('a', 'b', 2) }}\n"
                              "{{ 'l1\nl2\n\nl3'|indent(2) }}\n{{ 'l1\nl2'|indent(2, true) }}\n{{ 'l1\nl2'|indent('> ') }}",
     {}),
    ("filter_unique_min_max_sum", "{{ [1, 2, 1, 3, 2]|unique|list }} {{ items|min }} {{ items|max }} {{ items|sum }} "
                                  "{{ users|sum(attribute='age') }} {{ ['b', 'A', 'a']|unique|list }}", D),
    ("filter_safe_escape_abs_round", "{{ '<b>'|safe }} {{ -3|abs }} {{ 2.567|round(1) }} {{ 2.5|round }} "
                                     "{{ 3.14159|round(2, 'floor') }} {{ '%s=%d'|format('a', 3) }} {{ 'a b c'|wordcount }}", {}),
    ("filter_batch_center_truncate", "{{ 'ab'|center(6) }}|{{ [1, 2, 3]|batch(2)|list }}", {}),
    ("filter_on_expression_precedence", "{{ 'a' + ' b '|trim + 'c' }} {{ -items|length if false else 'neg' }}", D),
    # string methods
    ("string_methods", "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}|"
                       "{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.split(',', 1) }}|"
                       "{{ 'a,b,c'.rsplit(',', 1) }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith('bc') }}|"
                       "{{ 'abc'.startswith(('x', 'a')) }}|{{ 'Hello'.upper() }}{{ 'Hello'.lower() }}|"
                       "{{ 'a-b'.replace('-', '+') }}|{{ 'hello world'.title() }}|{{ 'hello'.capitalize() }}|"
                       "{{ 'hello'.find('l') }}{{ 'hello'.find('z') }}|{{ 'hello'.count('l') }}|"
                       "{{ '{} and {}'.format('x', 1) }}|{{ 'abc'.index('c') }}|{{ ','.join(['a', 'b']) }}|"
                       "{{ '  '.isspace() }}{{ '12'.isdigit() }}{{ 'ab'.isalpha() }}|{{ 'ab'.center(6, '*') }}|"
                       "{{ 'x'.ljust(3, '.') }}{{ 'x'.rjust(3, '.') }}|{{ 'a\\nb'.splitlines() }}|"
                       "{{ 'Hi'.swapcase() }}|{{ 'ab'.zfill(4) }}|{{ 'prefix-x'.removeprefix('prefix-') }}", D),
    ("qwen_think_split", "{% set c = '<think>\\nthought\\n</think>\\n\\nanswer' %}"
                         "[{{ c.split('</think>')[-1].lstrip('\\n') }}]"
                         "[{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}]", {}),
    ("dict_methods", "{% for k, v in m.items() %}{{ k }}:{{ v }},{% endfor %} {{ m.keys()|list }} {{ m.values()|list }} "
                     "{{ m.get('a') }} {{ m.get('zz') }} {{ m.get('zz', 'dflt') }} {{ m|length }}", D),
    ("list_methods", "{{ items.index(1) }} {{ items.count(3) }}", D),
    ("immutable_append_errors", "{% set x = [1] %}{{ x.append(2) }}{{ x }}", {}),
    # statements
    ("if_elif_else", "{% for i in [1, 2, 3] %}{% if i == 1 %}one{% elif i == 2 %}two{% else %}other{% endif %};{% endfor %}",
     {}),
    ("for_loop_variables", "{% for x in items %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/"
                           "{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.previtem }}/{{ loop.nextitem }};"
                           "{% endfor %}", D),
    ("for_loop_cycle_changed", "{% for x in [1, 1, 2] %}{{ loop.cycle('a', 'b') }}{{ loop.changed(x) }};{% endfor %}", {}),
    ("for_else", "{% for x in l %}{{ x }}{% else %}empty{% endfor %}|{% for x in items %}{{ x }}{% else %}no{% endfor %}",
     D),
    ("for_filter_condition", "{% for x in items if x > 1 %}{{ x }}:{{ loop.index }}:{{ loop.last }};{% endfor %}", D),
    ("for_unpack_and_dict", "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }};{% endfor %}{% for k in m %}{{ k }}{% endfor %}",
     D),
    ("for_over_string_and_range", "{% for c in 'abc' %}{{ c }}.{% endfor %} {% for i in range(3) %}{{ i }}{% endfor %} "
                                  "{{ range(1, 10, 3)|list }}", {}),
    ("for_nested_loop_scope", "{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{{ a }}{{ b }},{% endfor %}"
                              "{{ loop.index }};{% endfor %}", {}),
    ("break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}"
                       "{% endif %}{{ i }}{% endfor %}", {}),
    ("set_scoping", "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = i * 10 %}{{ x }};{% endfor %}{{ x }}"
                    "{% if true %}{% set y = 5 %}{% endif %}{{ y }}", {}),
    ("set_in_loop_not_carried", "{% for i in [1, 2] %}{% if i == 1 %}{% set z = 5 %}{% endif %}[{{ z }}]{% endfor %}", {}),
    ("set_tuple_and_block", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set blk %}  inner {{ a }}\n{% endset %}[{{ blk }}]", {}),
    ("namespace", "{% set ns = namespace(count=0, found=false) %}{% for x in items %}{% set ns.count = ns.count + x %}"
                  "{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }}", D),
    ("namespace_previtem_pattern", "{% set ns = namespace(prev=none) %}{% for u in users %}{{ ns.prev }}->{{ u.name }};"
                                   "{% set ns.prev = u.name %}{% endfor %}", D),
    ("macro", "{% macro greet(who, punct='!') %}Hi {{ who }}{{ punct }}{% endmacro %}{{ greet('Ann') }} "
              "{{ greet('Bob', punct='?') }} {{ greet(who='Cy') }}", {}),
    ("macro_with_caller_and_varargs", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
                                      "{% call wrap('b') %}bold{% endcall %}", {}),
    ("filter_block", "{% filter upper %}abc {{ name }}{% endfilter %}", D),
    ("generation_block", "A{% generation %}gen {{ name }}{% endgeneration %}B", D),
    ("raw_block", "{% raw %}{{ not parsed }}{% endraw %}", {}),
    ("raise_exception", "{% if true %}{{ raise_exception('Bad input: ' ~ name) }}{% endif %}", D),
    ("strftime_now", "{{ strftime_now('%Y-%m-%d %H:%M:%S %d %B %b %A %a %p %I %j') }}", {}),
    ("dict_literal_and_lookup", "{% set d = {'a': 1, 'b': {'c': [1, 2]}} %}{{ d.b.c[1] }} {{ d['a'] }} {{ d|length }}", {}),
    ("whitespace_heavy_template",
     "{%- for m in users %}\n    {%- if m.ok %}\n        {{- m.name }}\n    {%- else %}\n        {{- '-' }}\n"
     "    {%- endif %}\n{%- endfor %}\n", D),
    ("nested_data_in_messages", "{% for m in msgs %}{{ m.role }}:{{ m.content|trim }}{% if m.tool_calls %}"
                                "[{{ m.tool_calls|map(attribute='name')|join(',') }}]{% endif %}\n{% endfor %}",
     {"msgs": [{"role": "user", "content": " hi "}, {"role": "assistant", "content": "", "tool_calls": [
         {"name": "f", "arguments": {"x": 1}}, {"name": "g", "arguments": {}}]}]}),
    # edge cases: lexer
    ("lexer_nested_tags_line_starting", "{% if true %}\n  {% if true %}\n    x\n  {% endif %}\n{% endif %}\n  tail", {}),
    ("lexer_tabs_and_comment_lines", "a\n\t{# c #}\n\t{%- if true %}\tb{% endif %}\n\t\tc", {}),
    ("lexer_end_markers_inside_strings", "{{ '}}' ~ \"%}\" }}{% set q = '%}' %}{{ q }}{{ {'a': {'b': 1}} }}", {}),
    ("lexer_comment_with_tags_inside", "x{# {{ a }} {% if %} #}y", {}),
    ("lexer_multiline_tag", "{%\n  set x = [\n    1,\n    2,\n  ]\n%}\n{{ x\n|length }}", {}),
    ("lexer_leading_newline_and_minus", "\n\n{%- if true -%}\n\nA\n\n{%- endif -%}\n\n", {}),
    ("lexer_lone_braces_in_text", "{ a } {x}} %} #}", {}),
    ("lexer_variable_minus_only_left", "a  {{- 'b' }}  c  {{ 'd' -}}  e", {}),
    ("lexer_crlf_minus", "a \r\n {%- if true %}\r\nb\r\n{% endif -%}\r\n c", {}),
    # edge cases: numbers and repr
    ("float_repr_edges", "{{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ -0.0 }} {{ 1.5e-10 }} {{ 123456789.123 }} "
                         "{{ 2.5e300 * 10 }} {{ 1 / 7 }} {{ 100.0 }} {{ 3 * 1.1 }}", {}),
    ("string_repr_edges", "{{ ['\\u200b', '\\xa0', '\\x7f', 'é', '\\U0001F600', '\\\\', '\"', \"'\"] }}", {}),
    ("tojson_edges", "{{ '\\u2028\\x7f\\u00e9\\U0001F600'|tojson }} {{ {'k': [1, {'n': none}]}|tojson(indent='\\t') }} "
                     "{{ 'é'|tojson(ensure_ascii=true) }} {{ {'b': 1, 'a': [2]}|tojson(sort_keys=true, indent=1) }}", {}),
    ("int_float_mixing", "{{ 1 + 2.0 }} {{ 3 * 2 }} {{ 10 / 4 }} {{ 2 ** 0.5 }} {{ true + true }} {{ 5 // 2.0 }} {{ -5 % 3.0 }}", {}),
    # edge cases: expressions
    ("precedence_mix", "{{ not 1 in [1] }} {{ 'x' + 2 ~ 3 * 2 }} {{ 'a' ~ 'b' if false else 'c' }} {{ 2 * 3 ** 2 }} "
                       "{{ -1|abs }} {{ (not true) or 'x' }} {{ 1 if 0 else 2 if 0 else 3 }}", {}),
    ("is_not_with_argument", "{{ 3 is not divisibleby 2 }} {{ 'a' is not in 'xyz' }} {{ zz is not defined and true }}", {}),
    ("undefined_comparisons", "{{ zz == none }} {{ zz != 1 }} {{ zz is none }} {{ zz|length }} {{ zz|list }} "
                              "{% for x in zz %}never{% else %}empty{% endfor %} {{ zz ~ 'x' }} {{ 'a' in zz }}", {}),
    ("undefined_arith_errors", "{{ zz + 1 }}", {}),
    ("attribute_of_none_is_undefined", "[{{ n.x }}] [{{ n['x'] }}] [{{ 'abc'.nope }}] [{{ items.nope }}]", D),
    ("list_in_and_tuple_eq", "{{ [1, 2] in [[1, 2], [3]] }} {{ (1, 2) == (1, 2) }} {{ [1, 2] == (1, 2) }} {{ 2.0 in [1, 2] }} "
                             "{{ 'b' in ['a', 'b'] }}", {}),
    ("string_method_edges", "{{ 'a b  c'.split(' ') }} {{ 'a,b,c'.split(',', maxsplit=1) }} {{ '  a b  '.rsplit(None, 1) }} "
                            "{{ ' x '.strip(' x') }} {{ 'xXx'.lstrip('x') }} {{ 'é👋é'.find('é', 1) if false else 'é👋é'.find('é') }} "
                            "{{ 'aaa'.replace('a', 'b', 1) }} {{ ''.split(',') }} {{ ''.split() }} {{ 'they\\'re bill\\'s 3rd'.title() }}", {}),
    ("unicode_indexing", "{{ u[6] }} {{ u[-1] }} {{ u[:5] }} {{ u|reverse }} {{ u.find('👋') }} {{ u|upper }}", D),
    ("trim_unicode_spaces", "[{{ '\\u3000\\xa0 a \\u200b'|trim }}] [{{ '\\x1c a \\x85'.strip() }}]", {}),
    # edge cases: statements
    ("set_block_with_filter", "{% set x | upper %}abc {{ 1 }}{% endset %}[{{ x }}]", {}),
    ("for_loop_target_shadowing", "{% set x = 'outer' %}{% for x in [1, 2] %}{{ x }}{% endfor %}{{ x }}", {}),
    ("nested_loop_outer_loop_access", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in [1] %}{{ outer.index }}{{ loop.index }} {% endfor %}{% endfor %}", {}),
    ("namespace_from_dict_and_print", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c }}", {}),
    ("macro_sees_globals_and_recursion", "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }} {{ name }}", D),
    ("break_in_nested_loops", "{% for a in [1, 2, 3] %}{% for b in [1, 2, 3] %}{% if b == 2 %}{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}", {}),
    ("loop_length_with_break_and_last", "{% for a in [1, 2, 3] %}{{ loop.length }}{{ loop.last }}{% if a == 2 %}{% break %}{% endif %};{% endfor %}", {}),
    ("dict_items_tuples", "{{ m|items|list }} {{ m.items()|list }} {{ (m|dictsort(by='value', reverse=true))[0] }}",
     {"m": {"b": 2, "a": 1, "c": 3}}),
    ("scoping_if_false_in_loop_reads_outer", "{% set x = 1 %}{% for i in [1] %}{% if false %}{% set x = 2 %}{% endif %}{{ x }}"
                                             "{% endfor %}", {}),
    ("scoping_macro_sees_later_top_level_set", "{% set y = 1 %}{% macro m() %}{{ y }}{% endmacro %}{% set y = 5 %}{{ m() }}", {}),
    ("scoping_macro_in_loop_closes_over_loop_var", "{% for i in [1, 2] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}",
     {}),
    ("undefined_element_of_empty_list_errors", "{{ messages[0].content }}", {"messages": []}),
    ("undefined_attribute_of_none_chain_errors", "{{ n.x.y }}", D),
    ("first_of_empty_errors", "{{ (messages|first).role }}", {"messages": []}),
    ("undefined_attr_defined_test_on_dict", "{% if x.y is defined %}a{% else %}b{% endif %}", {"x": {}}),
    ("recursive_macro_limit", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", {}),
    ("syntax_error_line_three", "a\nb\n{{ x |  }}", {}),
    ("syntax_error_endfor_in_if", "{% if x %}\n{% endfor %}", {}),
    # errors
    ("syntax_error_unclosed_block", "{% if true %}never closed", {}),
    ("syntax_error_unknown_tag", "line1\n{% frobnicate %}", {}),
    ("syntax_error_bad_expression", "{{ 1 + }}", {}),
    ("syntax_error_unexpected_end", "{% for x in y %}{% endif %}", {}),
    ("undefined_call_errors", "{{ nothing() }}", {}),
    ("length_of_none_errors", "{{ n|length }}", D),
    ("division_by_zero", "{{ 1 / 0 }}", {}),
    ("unknown_filter", "{{ 1|nosuchfilter }}", {}),
]


def snippets():
    out = []
    for name, template, variables in SNIPPETS:
        case = {"name": name, "template": template, "variables": variables}
        case.update(render(template, variables))
        out.append(case)
    return out


def main():
    golden = {
        "format_version": FORMAT_VERSION,
        "script": "tools/golden/chat_templates.py",
        "command": COMMAND,
        "jinja2_version": jinja2.__version__,
        "python_version": sys.version.split()[0],
        "environment": "ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, "
                       "extensions=[generation, loopcontrols]); tojson(ensure_ascii=False); raise_exception; "
                       "strftime_now fixed at " + FIXED_NOW.isoformat(),
        "fixed_now": FIXED_NOW.isoformat(),
        "templates": shipped_templates(),
        "snippets": snippets(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    n_cases = sum(len(t.get("cases", [])) for t in golden["templates"])
    print(f"wrote {OUT}: {n_cases} template cases, {len(golden['snippets'])} snippets")


if __name__ == "__main__":
    main()
