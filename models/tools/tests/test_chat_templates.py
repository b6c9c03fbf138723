"""The committed chat-template golden outputs still equal what jinja2 renders with transformers' settings.

Run: /usr/bin/python3 -m unittest discover -s models/tools/tests
ChatTemplateGoldenTest (Java) checks the server's engine against the same files byte for byte.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import render_chat_templates as golden  # noqa: E402


class ChatTemplateGoldens(unittest.TestCase):
    def test_committed_expectations_match_jinja2(self):
        rendered = golden.render_all()
        self.assertGreaterEqual(len([n for n in rendered if n != "jinja-features"]), 12)
        for name, cases in rendered.items():
            with open(golden.expected_path(name), encoding="utf-8") as f:
                committed = json.load(f)
            for case_id, result in cases.items():
                with self.subTest(template=name, conversation=case_id):
                    self.assertEqual(committed.get(case_id), result)

    def test_transformers_settings(self):
        template = golden.compile_template("  {% if true %}\nx{{ y | tojson }}{% endif %}\n")
        # lstrip_blocks drops the indent, trim_blocks the newline; tojson keeps non-ASCII and HTML characters.
        self.assertEqual(template.render(y={"k": "é<"}), 'x{"k": "é<"}')
        with self.assertRaises(golden.RaisedByTemplate):
            golden.compile_template("{{ raise_exception('no') }}").render()
        loop = golden.compile_template("{% for i in [1, 2, 3] %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor %}")
        self.assertEqual(loop.render(), "1")


if __name__ == "__main__":
    unittest.main()
