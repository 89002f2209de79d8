#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every JSON line hdevent prints in the documented examples and the scenario tests is valid
against docs/hdevent.schema.json: the field types of docs/cli-output.md's "JSON output" rule, the
fields each record type has.

  json-schema.py <hdevent> <source dir>

What is checked, each line that starts with '{"' on stdout or stderr:
  - the ```console examples of README.md and docs/*.md, run as tests/cli/doc-examples.sh runs
    them (each file's blocks in order, in one fresh directory holding a copy of examples/);
  - `hdevent run` of every tests/scenarios/*.scenario (every line of its stdout);
  - the JSON lines shown in the ```sh blocks of docs/backends/*.md: the device examples, which
    need a loaded kernel module and are run by the e2e tests (e2e.qemu runs linux.md's).
Needs python3-jsonschema (Debian 12: 4.10, Draft 2020-12).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from jsonschema import Draft202012Validator


def block_lines(md, lang, prefix):
    """(line number, line) of each line starting with @prefix in the ```@lang blocks of @md."""
    found, inblock = [], False
    with open(md, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if re.fullmatch(r"```" + lang + r"\s*", line):
                inblock = True
            elif inblock and re.fullmatch(r"```\s*", line):
                inblock = False
            elif inblock and line.startswith(prefix):
                found.append((n, line))
    return found


def console_examples(md):
    """(line, command) of each `$ ` line of the ```console blocks of @md."""
    return [(n, line[2:]) for n, line in block_lines(md, "console", "$ ")]


def shown_json(md):
    """(line, text) of each JSON line shown in the ```sh blocks of @md."""
    return block_lines(md, "sh", '{"')


class Checker:
    def __init__(self, schema):
        self.validator = Draft202012Validator(schema)
        self.lines = 0
        self.failures = 0
        self.types = {}

    def check(self, where, line):
        """Validate one printed line; report it when it is not valid."""
        self.lines += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            self.fail(where, line, [f"not JSON: {e}"])
            return
        errors = sorted(self.validator.iter_errors(record), key=lambda e: list(e.path))
        if errors:
            self.fail(where, line, [
                f"{'/'.join(map(str, e.path)) or '(record)'}: {e.message}" for e in errors])
            return
        self.types[record["type"]] = self.types.get(record["type"], 0) + 1

    def fail(self, where, line, why):
        self.failures += 1
        print(f"FAIL {where}\n    {line[:300]}")
        for w in why[:5]:
            print(f"    {w[:300]}")


def run_doc_examples(checker, hdevent_dir, src, docs):
    count = 0
    env = dict(os.environ, PATH=hdevent_dir + os.pathsep + os.environ["PATH"])
    for md in docs:
        examples = console_examples(md)
        if not examples:
            continue
        work = tempfile.mkdtemp()
        try:
            shutil.copytree(os.path.join(src, "examples"), os.path.join(work, "examples"))
            for n, cmd in examples:
                count += 1
                p = subprocess.run(["bash", "-c", cmd], cwd=work, env=env, capture_output=True,
                                   text=True, errors="replace", timeout=120)
                for stream in (p.stdout, p.stderr):
                    for line in stream.splitlines():
                        if line.startswith('{"'):
                            checker.check(f"{os.path.basename(md)}:{n}: $ {cmd[:80]}", line)
        finally:
            shutil.rmtree(work)
    return count


def run_scenarios(checker, hdevent, scenario_dir):
    count = 0
    for name in sorted(os.listdir(scenario_dir)):
        if not name.endswith(".scenario"):
            continue
        count += 1
        # From the scenario's directory: paths in it (script {file:...}) are relative to it.
        p = subprocess.run([hdevent, "run", name], cwd=scenario_dir, capture_output=True,
                           text=True, errors="replace", timeout=300)
        for n, line in enumerate(p.stdout.splitlines(), 1):
            checker.check(f"tests/scenarios/{name}: output line {n}", line)
    return count


def main():
    if len(sys.argv) != 3:
        print("usage: json-schema.py <hdevent> <source dir>", file=sys.stderr)
        return 2
    hdevent, src = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
    with open(os.path.join(src, "docs", "hdevent.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    checker = Checker(schema)

    # hdevent on PATH under its own name, as the docs call it.
    bindir = tempfile.mkdtemp()
    try:
        os.symlink(hdevent, os.path.join(bindir, "hdevent"))
        docs = [os.path.join(src, "README.md")] + sorted(
            os.path.join(src, "docs", f) for f in os.listdir(os.path.join(src, "docs"))
            if f.endswith(".md"))
        before = checker.lines
        examples = run_doc_examples(checker, bindir, src, docs)
        doc_lines = checker.lines - before
    finally:
        shutil.rmtree(bindir)

    before = checker.lines
    scenarios = run_scenarios(checker, hdevent, os.path.join(src, "tests", "scenarios"))
    scenario_lines = checker.lines - before

    before = checker.lines
    backends = os.path.join(src, "docs", "backends")
    for md in sorted(os.listdir(backends)):
        for n, line in shown_json(os.path.join(backends, md)):
            checker.check(f"docs/backends/{md}:{n} (shown)", line)
    shown_lines = checker.lines - before

    print(f"{doc_lines} JSON lines from {examples} documented examples, {scenario_lines} from "
          f"{scenarios} scenarios, {shown_lines} shown in device examples")
    print("record types seen: " + ", ".join(f"{t} {n}" for t, n in sorted(checker.types.items())))
    missing = [t for t in schema["properties"]["type"]["enum"] if t not in checker.types]
    if missing:
        print("record types no example shows: " + ", ".join(missing))
    if checker.failures or not doc_lines or not scenario_lines or not shown_lines:
        print(f"FAIL: {checker.failures} of {checker.lines} lines invalid"
              if checker.failures else "FAIL: a source gave no JSON line")
        return 1
    print(f"all {checker.lines} lines valid against docs/hdevent.schema.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
