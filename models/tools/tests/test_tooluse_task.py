"""The tool-use task behind models/nano-llama-tools: the held-out split, the shipped template and tokenizer, and the
training loss mask."""
import json
import os
import random
import sys
import unittest

TOOLS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS_DIR)
import bpe  # noqa: E402
import tooluse_task as task  # noqa: E402
import train_nano_llama_tools as trainer  # noqa: E402

REPO = os.path.dirname(os.path.dirname(TOOLS_DIR))
FOLDER = os.path.join(REPO, "models", "nano-llama-tools")


def user_question(conv):
    return next(m["content"] for m in conv["messages"] if m["role"] == "user")


class ToolUseTaskTest(unittest.TestCase):

    def test_training_conversations_never_use_held_out_pairs_or_dates(self):
        rng = random.Random(5)
        for _ in range(3000):
            c = task.conversation(rng)
            call = c["call"]
            if call is None:
                continue
            a = call["arguments"]
            key = a["date"] if "date" in a else f"{a['a']},{a['b']}"
            self.assertFalse(task.held_out(key), key)
        for item in task.heldout_questions(50):
            a = item["call"]["arguments"]
            self.assertTrue(task.held_out(a["date"] if "date" in a else f"{a['a']},{a['b']}"))

    def test_calls_match_the_question(self):
        rng = random.Random(6)
        for _ in range(500):
            c = task.conversation(rng)
            if c["call"] is None:
                continue
            names = [t["function"]["name"] for t in c["tools"]]
            self.assertIn(c["call"]["name"], names)
            self.assertEqual(len(names), len(set(names)))
            q = user_question(c)
            args = c["call"]["arguments"]
            if "date" in args:
                y, m, d = args["date"].split("-")
                self.assertTrue(args["date"] in q or (task.MONTHS[int(m) - 1] in q and y in q), q)
            else:
                self.assertIn(str(args["a"]), q)
                self.assertIn(str(args["b"]), q)
            self.assertIn(c["result"], c["answer"])

    def test_tool_results(self):
        self.assertEqual("Friday", task.call_result("get_weekday", {"date": "2007-09-14"}))
        self.assertEqual("Monday", task.call_result("get_weekday", {"date": "2000-01-03"}))
        self.assertEqual("-95", task.call_result("subtract", {"a": 5, "b": 100}))
        self.assertEqual("63510", task.call_result("multiply", {"a": 174, "b": 365}))

    def test_loss_mask_covers_exactly_the_assistant_turns(self):
        tok = bpe.ByteLevelBPE.load(os.path.join(FOLDER, "tokenizer.json"))
        rng = random.Random(8)
        for _ in range(20):
            c = task.conversation(rng)
            ids, mask = trainer.encode_with_mask(tok, c)
            written = tok.decode([i for i, m in zip(ids, mask) if m])
            turns = []
            for m in c["messages"]:
                if m["role"] != "assistant":
                    continue
                if m.get("tool_calls"):
                    f = m["tool_calls"][0]["function"]
                    turns.append('<tool_call>\n{"name": "%s", "arguments": %s}\n</tool_call>'
                                 % (f["name"], json.dumps(f["arguments"])))
                else:
                    turns.append(m["content"])
            self.assertEqual("".join(t + task.IM_END for t in turns), written)


class ShippedFolderTest(unittest.TestCase):

    def test_the_folder_ships_the_task_template(self):
        with open(os.path.join(FOLDER, "tokenizer_config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        self.assertEqual(task.TEMPLATE, cfg["chat_template"])
        self.assertEqual(task.IM_END, cfg["eos_token"])
        golden = os.path.join(REPO, "src", "test", "resources", "chat-templates", "nano-llama-tools.jinja")
        with open(golden, encoding="utf-8") as f:
            self.assertEqual(task.TEMPLATE, f.read())

    def test_numbers_are_read_digit_by_digit(self):
        tok = bpe.ByteLevelBPE.load(os.path.join(FOLDER, "tokenizer.json"))
        for a, b in tok.merges:
            self.assertFalse(any(ch.isdigit() for ch in a + b), (a, b))
        self.assertEqual(["1", "3", "7"], [tok.decode([i]) for i in tok.encode("137")])

    def test_heldout_file_is_the_task_heldout_set(self):
        with open(os.path.join(FOLDER, "heldout.jsonl"), encoding="utf-8") as f:
            items = [json.loads(line) for line in f]
        self.assertEqual(task.heldout_questions(100, seed=7), items)


if __name__ == "__main__":
    unittest.main()
