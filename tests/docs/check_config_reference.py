#!/usr/bin/env python3
"""Fails when a configuration key the server reads is missing from README's
configuration reference, or the reference names a key the server does not
read: the docs must follow the code.

Keys come from server/config/config.cc: top-level keys are the
`key == "..."` tests in LoadConfigFileCollecting; a section's keys are those
in the function whose path starts with `"<section>." + key`. Nested tables
(connectors.preconfigured[], http.host_settings[]) are documented as one key.

Usage: check_config_reference.py REPO_ROOT
"""
import re
import sys


def config_keys(source):
    keys = set()
    # Split into top-level definitions (bodies are indented). Nested tables
    # build their paths from a prefix and are not matched.
    for body in re.split(r"\n(?=[A-Za-z])", source):
        section = re.search(r'std::string path = "([a-z_.]+)\." \+ key', body)
        names = re.findall(r'key == "([a-z_]+)"', body)
        if section:
            prefix = section.group(1)
            keys.update(prefix + "." + n for n in names)
        elif "LoadConfigFileCollecting" in body:
            keys.update(names)
    return keys


def main():
    root = sys.argv[1]
    source = open(root + "/server/config/config.cc", encoding="utf-8").read()
    readme = open(root + "/README.md", encoding="utf-8").read()
    start = readme.index("## Configuration")
    end = readme.index("\n## ", start + 1)
    reference = readme[start:end]
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)*)`", reference))
    keys = config_keys(source)
    if len(keys) < 20:
        sys.exit("found only %d keys in config.cc: the parser here is out of date" % len(keys))
    # A section (e.g. `postgres`) is documented by its keys.
    sections = {k.split(".")[0] for k in keys if "." in k}
    missing = sorted(k for k in keys if k not in documented and k not in sections)
    unknown = sorted(d for d in documented
                     if "." in d and d not in keys and d.split(".")[0] in sections)
    for k in missing:
        print("README configuration reference misses `%s`" % k)
    for d in unknown:
        print("README configuration reference names `%s`, which the server does not read" % d)
    if missing or unknown:
        return 1
    print("config reference: %d keys documented" % len(keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
