#!/usr/bin/env python3
"""Generate a synthetic promptc project for benchmarks.

    python bench/generate.py OUT_DIR --modules N [--seed S]

The project has N modules: about 20% library modules (fragments with typed parameters,
shared types, tools) in layers whose imports form a DAG, and about 80% prompt modules
(front matter, typed inputs, imports of 2-5 library modules, inlined fragments, tool
references, if/elif/else, for loops, `output json {...}`), spread over nested package
folders. The same N and seed always give the same bytes. Every generated project builds
clean with `promptc build OUT_DIR`.

Besides `promptc.toml` and `prompts/`, OUT_DIR gets `bench-manifest.json` (outside the
source root, so promptc never sees it): every module's file and imports, and the two
edit targets that `bench/run.py` uses (a prompt nothing imports, and the library module
the most prompts depend on), with the prompts each one affects.

Standard library only.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

LIB_SHARE = 0.20
N_LAYERS = 4
LAYER_SHARE = (0.10, 0.20, 0.30, 0.40)  # layer 0 is a small, heavily imported core

#: Marker lines the benchmark edits (see bench/run.py).
LIB_MARKER = "Policy revision: r0."
PROMPT_MARKER = "Reply in the customer's language."

TOPICS = ("billing", "shipping", "returns", "accounts", "security", "onboarding", "search", "reports",
          "payments", "integrations", "mobile", "privacy", "pricing", "support", "analytics", "catalog")
VERBS = ("Answer", "Summarize", "Classify", "Draft a reply to", "Triage", "Explain", "Review", "Route")
WORDS = ("clear", "short", "polite", "precise", "friendly", "neutral", "direct", "careful", "plain")
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet", "llama-3-70b")


@dataclass
class Lib:
    index: int
    layer: int
    folder: str  # package path under prompts/, "/"-separated
    stem: str
    imports: list[tuple[int, str]] = field(default_factory=list)  # (lib index, "import" | "from" | "rel")

    @property
    def module(self) -> str:
        return f"{self.folder.replace('/', '.')}.{self.stem}"

    @property
    def path(self) -> str:
        return f"prompts/{self.folder}/{self.stem}.prompt"


@dataclass
class Prompt:
    index: int
    folder: str
    stem: str
    version: str
    imports: list[tuple[int, str]] = field(default_factory=list)  # (lib index, "import" | "from")

    @property
    def module(self) -> str:
        return f"{self.folder.replace('/', '.')}.{self.stem}"

    @property
    def path(self) -> str:
        return f"prompts/{self.folder}/{self.stem}.prompt"


# --- plan ---------------------------------------------------------------------------

def plan(n: int, seed: int) -> tuple[list[Lib], list[Prompt]]:
    if n < 3:
        raise ValueError("--modules must be at least 3 (two library modules and one prompt)")
    rng = random.Random(f"promptc-bench/{seed}/{n}")
    width = max(4, len(str(n - 1)))
    n_lib = max(2, round(n * LIB_SHARE))
    n_prompt = n - n_lib

    # Library modules, layer by layer; the index order is a topological order.
    layer_sizes = [max(1, round(n_lib * s)) for s in LAYER_SHARE]
    layer_sizes[-1] = n_lib - sum(layer_sizes[:-1])
    while layer_sizes[-1] < 1:  # tiny projects: take modules back from the larger layers
        k = max(range(N_LAYERS - 1), key=lambda i: layer_sizes[i])
        layer_sizes[k] -= 1
        layer_sizes[-1] += 1
    libs: list[Lib] = []
    layer_of: list[list[int]] = []
    for layer, size in enumerate(layer_sizes):
        groups = max(1, round(math.sqrt(size / 2)))
        members = []
        for j in range(size):
            i = len(libs)
            libs.append(Lib(i, layer, f"shared/layer_{layer}/group_{j % groups:02d}", f"lib_{i:0{width}d}"))
            members.append(i)
        layer_of.append(members)

    by_folder: dict[str, list[int]] = {}
    for lib in libs:
        lower = [i for layer in layer_of[: lib.layer] for i in layer]
        if lower:
            k = min(len(lower), rng.randint(1, 3))
            for t in sorted(rng.sample(lower, k)):
                lib.imports.append((t, rng.choice(("import", "from"))))
        # Sometimes also a sibling in the same folder with a smaller index (relative import).
        siblings = by_folder.setdefault(lib.folder, [])
        if siblings and rng.random() < 0.3:
            lib.imports.append((rng.choice(siblings), "rel"))
        siblings.append(lib.index)

    # Prompt modules: a skewed choice of 2-5 libraries, so a few are imported by many.
    cum_weights = list(itertools.accumulate(1.0 / (1 + rank) ** 0.9 for rank in range(n_lib)))
    order = list(range(n_lib))
    rng.shuffle(order)
    order.sort(key=lambda i: libs[i].layer)  # lower layers get the heavier weights
    teams = max(1, math.ceil(n_prompt / 100))
    areas = 5
    prompts: list[Prompt] = []
    for p in range(n_prompt):
        i = n_lib + p
        team, area = p % teams, (p // teams) % areas
        version = f"{rng.randint(0, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 30)}"
        prompt = Prompt(i, f"team_{team:02d}/area_{area}", f"mod_{i:0{width}d}", version)
        k = min(n_lib, rng.randint(2, 5))
        chosen: list[int] = []
        while len(chosen) < k:
            t = order[rng.choices(range(n_lib), cum_weights=cum_weights)[0]]
            if t not in chosen:
                chosen.append(t)
        styles = ["from"] + ["import"] + [rng.choice(("import", "from")) for _ in range(k - 2)]
        rng.shuffle(styles)
        if "from" not in styles:
            styles[0] = "from"
        prompt.imports = list(zip(chosen, styles))
        prompts.append(prompt)
    return libs, prompts


# --- text ---------------------------------------------------------------------------

def _sentence(rng: random.Random) -> str:
    return (f"Keep the tone {rng.choice(WORDS)} and {rng.choice(WORDS)}; mention {rng.choice(TOPICS)} "
            f"only when it helps.")


def render_lib(lib: Lib, libs: list[Lib], rng: random.Random) -> str:
    i = lib.index
    out: list[str] = []
    if i % 3 == 0:
        out += ["---", f"purpose: Shared wording for {TOPICS[i % len(TOPICS)]} prompts.",
                f"owner: shared-{lib.layer}@acme.example", "---"]
    out.append(f"# Library module {lib.module} (layer {lib.layer}): fragments, types and tools.")
    inlines: list[str] = []
    origin: int | None = None  # an imported Level type to use in Item_i
    for t, style in lib.imports:
        dep = libs[t]
        if style == "import":
            out.append(f"import {dep.module}")
            inlines.append(f"{{{{ {dep.stem}.rules_{t} }}}}")
        elif style == "from":
            out.append(f"from {dep.module} import rules_{t}, Level_{t}")
            inlines.append(f"{{{{ rules_{t} }}}}")
            origin = t if origin is None else origin
        else:
            out.append(f"from .{dep.stem} import rules_{t} as sibling_rules_{t}")
            inlines.append(f"{{{{ sibling_rules_{t} }}}}")
    out += [
        "",
        f'type Level_{i} = "low" | "medium" | "high"',
        f"type Item_{i} {{ title: str(max_len=200), score: int(min=0, max=100), level: Level_{i}, "
        f"tags: list[str](max_items=8)?, note: str?"
        + (f", origin: Level_{origin}?" if origin is not None else "") + " }",
        "",
        f'tool search_{i}(query: str(max_len=500), limit: int(min=1, max=50) = 5) '
        f'"Search the {TOPICS[i % len(TOPICS)]} knowledge base."',
    ]
    if i % 4 == 0:
        out.append(f'tool escalate_{i}(reason: str, level: Level_{i} = "medium") '
                   f'"Hand the case to a human." requires approval')
    out += [
        "",
        f'fragment rules_{i} """',
        f"{LIB_MARKER}",
        _sentence(rng),
        f"Search with {{{{ tools.search_{i} }}}} before you answer.",
        *([f"If a person must decide, use {{{{ tools.escalate_{i} }}}}."] if i % 4 == 0 else []),
        *inlines,
        '"""',
        "",
        f'fragment greet_{i}(name: str(max_len=80), formal: bool = false) """',
        "{% if formal %}Dear {{ name }},{% else %}Hi {{ name | trim | title }}!{% endif %}",
        '"""',
        "",
        f'fragment level_note_{i}(level: Level_{i} = "low") """',
        '{% if level == "high" %}Treat this as urgent.{% elif level == "medium" %}Answer today.'
        "{% else %}No rush.{% endif %}",
        '"""',
        "",
        f'fragment bullets_{i}(items: list[str], heading: str = "Notes") """',
        "{{ heading }}:",
        "{% for x in items %}- {{ x }}{% if not loop.last %}",
        "{% endif %}{% endfor %}",
        '"""',
        "",
    ]
    return "\n".join(out)


def render_prompt(prompt: Prompt, libs: list[Lib], rng: random.Random) -> str:
    i = prompt.index
    team, area = prompt.folder.split("/")
    topic = TOPICS[i % len(TOPICS)]
    model = rng.choice(MODELS)
    out = [
        "---",
        f"version: {prompt.version}",
        f"purpose: {rng.choice(VERBS)} a customer's {topic} question.",
        f"owner: {team.replace('_', '')}@acme.example",
        "tech_owner: platform-team",
        f"risk: {('low', 'medium', 'high')[i % 3]}",
        *([f"eval: {eval_path(prompt)}"] if i % 3 == 2 else []),
        f"model: {{name: {model}, temperature: {rng.choice(('0', '0.2', '0.5'))}, max_tokens: {rng.choice((400, 600, 1000))}}}",
        f"tags: [{team}, {area}, {topic}]",
        "---",
    ]
    uses: list[str] = []      # system-message lines that inline library fragments
    main_from: int | None = None
    for t, style in prompt.imports:
        dep = libs[t]
        if style == "import":
            out.append(f"import {dep.module}")
            uses.append(f"{{{{ {dep.stem}.rules_{t} }}}}")
            uses.append(f'{{{{ {dep.stem}.level_note_{t}(level="medium") }}}}')
        else:
            if main_from is None:
                main_from = t
                out.append(f"from {dep.module} import (\n    rules_{t},\n    greet_{t} as greet,\n"
                           f"    level_note_{t},\n    bullets_{t},\n    Item_{t},\n    Level_{t},\n"
                           f"    search_{t},\n)")
                uses.append(f"{{{{ rules_{t} }}}}")
            else:
                out.append(f"from {dep.module} import rules_{t}, search_{t}")
                uses.append(f"{{{{ rules_{t} }}}}")
                uses.append(f"Look things up with {{{{ tools.search_{t} }}}}.")
    assert main_from is not None
    m = main_from
    has_local_tool = i % 2 == 0
    json_out = i % 5 != 0
    out += [
        "",
        'type Tier = "free" | "pro" | "enterprise"',
        'type Turn { role: "customer" | "agent", text: str(max_len=2000) }',
        "",
        "input customer_name: str(max_len=80)",
        'input tier: Tier = "free"',
        "input question: str(max_tokens=400)",
        "input history: list[Turn](max_items=50) = []",
        f"input items: list[Item_{m}](max_items=20) = []",
        f'input urgency: Level_{m} = "low"',
        "input locale: str(max_len=16)?",
        "input formal: bool = false",
        "input tags: list[str(max_len=40)](max_items=10) = []",
        "input priority: int(min=1, max=5) = 3",
        "",
    ]
    if has_local_tool:
        out.append('tool lookup_order(order_id: str(pattern="^[A-Z0-9]{8}$")) "Look up an order by its id."'
                   + (" requires approval" if i % 4 == 0 else ""))
        out.append("")
    if json_out:
        out.append('output json {answer: str, citations: list[str], escalate: bool, confidence: float?, '
                   f'category: "{topic}" | "other"}}')
    else:
        out.append("output text")
    out += [
        "",
        'fragment signoff(team: str) """',
        "-- {{ team }}",
        '"""',
        "",
        'system """',
        f"You are Acme's {topic} assistant. {_sentence(rng)}",
        PROMPT_MARKER,
        "{# promptc bench: generated text #}",
        *uses,
        "{{ greet(name=customer_name, formal=formal) }}",
        f"{{{{ level_note_{m}(level=urgency) }}}}",
        f"Before answering, look things up with {{{{ tools.search_{m} }}}}.",
    ]
    if has_local_tool:
        out.append("Check orders with {{ tools.lookup_order }}.")
    out += [
        '{% if tier == "enterprise" %}Offer a call with the account team.'
        '{% elif tier == "pro" %}Offer priority email support.'
        "{% else %}Point to the help center.{% endif %}",
        "{% if priority >= 4 and urgency != \"low\" %}Answer first, explain later.{% endif %}",
        'Answer in {{ locale | default("en") | upper }}.',
        f'{{{{ bullets_{m}(items=tags, heading="Tags") }}}}',
        f'{{{{ signoff(team="{team}") }}}}',
        '"""',
        "",
        'user """',
        "{% for turn in history %}{{ loop.index }}. {{ turn.role }}: {{ turn.text }}",
        "{% endfor %}{% for item in items %}- {{ item.title | upper }} ({{ item.score }}/100)"
        '{% if item.level == "high" %} [urgent]{% endif %}: '
        '{{ item.tags | default([]) | join(", ") }} {{ item.note | default("") }}',
        "{% endfor %}{% if history | length > 0 %}(conversation of {{ history | length }} turns){% endif %}",
        "{{ question }}",
        '"""',
        "",
    ]
    return "\n".join(out)


def eval_path(prompt: Prompt) -> str:
    return f"evals/{prompt.folder}/{prompt.stem}.jsonl"


# --- write --------------------------------------------------------------------------

def fan_in(libs: list[Lib], prompts: list[Prompt]) -> dict[int, list[str]]:
    """For each library, the prompts whose import closure contains it (their hash may change)."""
    closure: list[frozenset[int]] = []
    for lib in libs:  # index order is topological: imports come first
        closure.append(frozenset({lib.index}).union(*(closure[t] for t, _ in lib.imports)))
    reached: dict[int, list[str]] = {lib.index: [] for lib in libs}
    for p in prompts:
        for t in frozenset().union(*(closure[t] for t, _ in p.imports)):
            reached[t].append(p.module)
    return {k: sorted(v) for k, v in reached.items()}


def generate(out_dir: Path, n: int, seed: int = 0) -> dict:
    """Write the project; return its manifest."""
    libs, prompts = plan(n, seed)
    rng = random.Random(f"promptc-bench-text/{seed}/{n}")
    out_dir = Path(out_dir)
    if (out_dir / "prompts").exists():
        shutil.rmtree(out_dir / "prompts")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "promptc.toml").write_text(
        f'[project]\nname = "bench-{n}"\nsources = ["prompts"]\nout = "dist"\n', encoding="utf-8")
    (out_dir / ".gitignore").write_text("dist/\n.promptc/\n", encoding="utf-8")
    for lib in libs:
        _write(out_dir / lib.path, render_lib(lib, libs, rng))
    if (out_dir / "evals").exists():
        shutil.rmtree(out_dir / "evals")
    for prompt in prompts:
        text = render_prompt(prompt, libs, rng)
        _write(out_dir / prompt.path, text)
        if f"eval: {eval_path(prompt)}" in text:
            case = {"inputs": {"customer_name": "Ada Lovelace", "question": "Where is my order?"},
                    "expect": {"escalate": False}}
            _write(out_dir / eval_path(prompt), json.dumps(case) + "\n")

    # Edit targets: the library the most prompts depend on, and the last prompt.
    reached = fan_in(libs, prompts)
    hot = max(libs, key=lambda lib: (len(reached[lib.index]), -lib.index))
    cold_prompt = prompts[-1]
    manifest = {
        "format": "promptc-bench/v1",
        "modules": n,
        "seed": seed,
        "libraries": [{"module": lib.module, "path": lib.path, "layer": lib.layer,
                       "imports": [libs[t].module for t, _ in lib.imports]} for lib in libs],
        "prompts": [{"module": p.module, "path": p.path, "version": p.version,
                     "imports": [libs[t].module for t, _ in p.imports]} for p in prompts],
        "edit_targets": {
            "prompt": {"module": cold_prompt.module, "path": cold_prompt.path, "marker": PROMPT_MARKER,
                       "affected": [cold_prompt.module]},
            "library": {"module": hot.module, "path": hot.path, "marker": LIB_MARKER,
                        "affected": reached[hot.index]},
        },
    }
    (out_dir / "bench-manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path, help="project directory to create (its prompts/ is replaced)")
    ap.add_argument("--modules", "-n", type=int, required=True, help="number of modules (at least 3)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = ap.parse_args(argv)
    try:
        manifest = generate(args.out_dir, args.modules, args.seed)
    except ValueError as exc:
        ap.error(str(exc))
    lib = manifest["edit_targets"]["library"]
    print(f"wrote {args.modules} modules ({len(manifest['libraries'])} library, {len(manifest['prompts'])} prompt) "
          f"to {args.out_dir}; most-imported library {lib['module']} reaches {len(lib['affected'])} prompts",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
