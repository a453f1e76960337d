"""Checks the shipped configs against the options nova-cpp declares: every group and option
in etc/nova/*.conf and etc/nova/multinode/*.conf must appear in etc/nova/nova.conf.sample
(which a unit test keeps in step with the declarations), so a typo in a shipped config
cannot pass unnoticed. A CTest unit test runs it."""

import configparser
import glob
import os
import re
import sys

ETC = os.path.dirname(os.path.abspath(__file__))


def declared_options():
    declared, group = {}, None
    with open(os.path.join(ETC, "nova", "nova.conf.sample")) as f:
        for line in f:
            m = re.match(r"^\[(\w+)\]", line)
            if m:
                group = m.group(1)
                declared.setdefault(group, set())
                continue
            m = re.match(r"^#(\w+) =", line)
            if m and group:
                declared[group].add(m.group(1))
    return declared


def main():
    declared = declared_options()
    problems = []
    files = sorted(glob.glob(os.path.join(ETC, "nova", "*.conf")) +
                   glob.glob(os.path.join(ETC, "nova", "multinode", "*.conf")))
    for path in files:
        parser = configparser.RawConfigParser(default_section="__none__", strict=True)
        parser.optionxform = str
        parser.read(path)
        for group in parser.sections():
            if group not in declared:
                problems.append("%s: unknown group [%s]" % (path, group))
                continue
            for option in parser.options(group):
                if option not in declared[group]:
                    problems.append("%s: [%s] %s is not a declared option" % (path, group, option))
    for p in problems:
        print(p)
    print("%d config files checked, %d problems" % (len(files), len(problems)))
    return 1 if problems or not files else 0


if __name__ == "__main__":
    sys.exit(main())
