"""Reads OpenMetrics text on stdin with the Python client's strict parser and prints one line per sample:
`family type name{label="value",...} value`, labels sorted, values as Python floats. Exits 1 on a parse error."""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def escape(value):
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def main():
    text = sys.stdin.buffer.read().decode("utf-8")  # strict: ill-formed UTF-8 is an error too
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as error:  # the parser raises ValueError and friends
        print("openmetrics parse error: %s" % error)
        return 1
    for family in families:
        for sample in family.samples:
            labels = ",".join('%s="%s"' % (k, escape(v)) for k, v in sorted(sample.labels.items()))
            print("%s %s %s{%s} %r" % (family.name, family.type, sample.name, labels, float(sample.value)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
