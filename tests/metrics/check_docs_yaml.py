"""Checks the Prometheus YAML of docs/metrics.md with promtool: the ```yaml block holding scrape_configs with
`promtool check config`, the one holding groups (alert rules) with `promtool check rules`. Fails when either block
is missing or promtool rejects it."""
import os
import re
import subprocess
import sys
import tempfile


def main(promtool, page):
    text = open(page, encoding="utf-8").read()
    blocks = re.findall(r"\n```yaml\n(.*?)\n```", text, re.S)
    config = [b for b in blocks if b.startswith("scrape_configs:")]
    rules = [b for b in blocks if b.startswith("groups:")]
    if len(config) != 1 or len(rules) != 1:
        print("%s: expected one scrape config and one rules block, found %d and %d" % (page, len(config), len(rules)))
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        status = 0
        for kind, body in (("config", config[0]), ("rules", rules[0])):
            path = os.path.join(tmp, kind + ".yml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(body + "\n")
            result = subprocess.run([promtool, "check", kind, path], capture_output=True, text=True)
            print("promtool check %s: exit %d\n%s%s" % (kind, result.returncode, result.stdout, result.stderr))
            status = status or result.returncode
        return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
