#!/usr/bin/env python3
"""The layers, kept: what each folder's files may include, followed through the project's own
headers (a file includes what the headers it includes include).

usage: check_layers.py REPO_ROOT       exit 0 when every rule holds, 1 naming each breach

Rules (README "How it works"): core/ knows nothing of analysis/ and batch/, analysis/ nothing of
batch/; base/ is below everything; the engine (recipe, network, simulation and its components)
reads no file format: no core/format/ header, no JSON or TOML library, and neither the run layer
nor I/O; I/O knows nothing of the model or the engine; a sweep does not depend on job submission.
The one engine file that reads the model is recipe.cpp: the recipe is where the model is lowered
(recipe.hpp itself does not include it, so what includes the recipe sees no file format).
"""
import os
import re
import sys

# (folder or file-name prefix, what no file there may reach)
RULES = [
    ("core/", ["analysis/", "batch/"]),
    ("analysis/", ["batch/"]),
    ("core/base/", ["core/format/", "core/engine/", "core/io/", "core/run/", "<nlohmann/", "<toml++/"]),
    ("core/io/", ["core/format/", "core/engine/", "core/run/"]),
    ("core/format/", ["core/io/", "core/run/", "<toml++/"]),
    ("core/engine/", ["core/format/", "core/io/", "core/run/", "<nlohmann/", "<toml++/"]),
    ("batch/sweep", ["batch/cluster", "batch/submit", "batch/scheduler"]),
]

# Files a rule does not apply to, with the reason.
EXCEPT = {
    ("core/engine/", "core/engine/recipe.cpp"): "the recipe lowers the model spec",
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def includes(root, path, cache):
    """Everything `path` reaches: project headers as repository paths, others as <name>."""
    if path in cache:
        return cache[path]
    cache[path] = set()  # a cycle ends here
    reached = set()
    with open(os.path.join(root, path), encoding="utf-8") as f:
        text = f.read()
    for kind, name in INCLUDE.findall(text):
        if kind == '"' and os.path.isfile(os.path.join(root, name)):
            reached.add(name)
            reached |= includes(root, name, cache)
        else:
            reached.add("<" + name)
    cache[path] = reached
    return reached


def sources(root):
    for top in ("core", "analysis", "batch"):
        for folder, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if name.endswith((".cpp", ".hpp")):
                    yield os.path.relpath(os.path.join(folder, name), root)


def main():
    root = sys.argv[1]
    cache, breaches = {}, []
    for path in sources(root):
        reached = includes(root, path, cache)
        for prefix, forbidden in RULES:
            if not path.startswith(prefix) or (prefix, path) in EXCEPT:
                continue
            for bad in forbidden:
                hits = sorted(r for r in reached if r.startswith(bad))
                if hits:
                    breaches.append(f"{path} ({prefix}) reaches {', '.join(hits)}")
    for b in breaches:
        print(b)
    print(f"{len(breaches)} breaches of the layers" if breaches else "the layers hold")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
